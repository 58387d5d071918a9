# heatdesk：面向居民的界面文字（简体中文）。
# 规范话术的答复在 phrasebook/ 中，不在这里。两种语言的文件必须有完全相同的消息 id。

## 欢迎与兜底

bot-welcome =
    您好，欢迎关注{ $company }！我是供热智能客服，可以帮您：
    1. 查询欠费、在线缴纳热费
    2. 暖气不热报修、预约上门测温
    3. 办理停供、复供，查询办理进度
    4. 开具电子发票、增值税专用发票
    5. 户号绑定、过户更名、面积核实
    6. 查询供暖时间、收费标准和营业厅地址
    直接发文字说出您的问题就行，比如“暖气不热”“查欠费”“我要报停”。
    需要人工服务请回复“转人工”；漏水等紧急情况请直接拨打{ $hotline }。
bot-not-understood = 抱歉，我没有理解您的意思。请换个说法简单描述一下您的问题，比如“暖气不热”“怎么交费”；也可以回复“转人工”，或拨打服务热线{ $hotline }。
bot-clarify-intro = 您是想问：
bot-clarify-option = { $n }. { $title }
bot-clarify-outro = 请回复对应的序号；如果都不是，请换个说法再描述一下。
bot-unsupported-kind = 抱歉，我暂时还看不懂这条消息（{ $kind }）。请用文字简要描述您的问题，我会尽快为您解答；需要人工服务请回复“转人工”。
bot-service-unavailable = 抱歉，系统暂时无法完成您的请求。您的诉求我们已经记录，会尽快回复您；如情况紧急，请拨打{ $hotline }。
bot-reply-later = 您的消息已收到，我们正在处理，稍后回复您，请留意公众号消息。

## 消息类型名称

kind-image = 图片
kind-voice = 语音
kind-video = 视频
kind-shortvideo = 小视频
kind-location = 位置
kind-link = 链接
kind-file = 文件
kind-unknown = 未知类型

## 接口错误

error-bad-request = 请求格式不正确，请检查后重试。
error-empty-text = 消息内容不能为空。
error-text-too-long = 消息太长了，请控制在 { $max } 个字以内。
error-payload-too-large = 提交的内容太大，无法处理。
error-unsupported-media = 不支持该内容格式。
error-not-found = 没有找到您要的内容。
error-internal = 系统内部出错，请稍后再试。
error-unauthorized = 请先登录或提供有效的身份凭证。
error-forbidden = 您没有权限进行此操作。
error-rate-limited = 操作太频繁了，请稍后再试。

## 标签

confidence-high = 高
confidence-medium = 中
confidence-low = 低
channel-wechat = 微信公众号
channel-hotline = 服务热线
channel-counter = 营业厅窗口

## 办理时向居民询问的信息

slot-account-no = 请提供您的户号（用户编号），可在缴费票据、电子发票或缴费卡上查到。
slot-phone = 请留一个方便联系您的手机号码。
slot-address = 请提供详细地址：所在区、小区名称、楼号、单元和门牌号。
slot-problem = 请简单描述一下情况，比如哪个房间、哪组暖气、从什么时候开始的。
slot-date = 您希望哪天上门？可以回复“明天”“周六”或具体日期，如“11月20日”。
slot-time-of-day = 您方便的时间是上午还是下午？
slot-photo = 如方便，可以发一张暖气片、阀门或室内温度计的照片；没有的话回复“跳过”。
slot-area = 请输入您认为正确的采暖面积（平方米），如“86.5”。
slot-evidence = 请上传不动产权证或购房合同上面积那一页的照片。
slot-verification = 为保护您的信息，请回复户主姓名，或预留手机号的后4位。
slot-reason = 方便说一下办理原因吗？比如房屋空置、外出过冬、出租未住人；不想说可以回复“跳过”。
slot-confirm = 请核对以上信息。确认办理请回复“确认”，如需取消请回复“取消”。
slot-district = 请问您在哪个区？回复 1 海勃湾区、2 乌达区、3 海南区。
slot-invoice-party = 请问发票开给个人还是单位？回复 1 个人、2 单位。
slot-invoice-kind = 请选择发票类型：1 电子普通发票、2 纸质普通发票、3 增值税专用发票（仅限单位）。
slot-invoice-title = 请输入发票抬头：个人填写姓名，单位填写单位全称。
slot-tax-no = 请输入单位的纳税人识别号（统一社会信用代码）。
slot-invoice-tax-no = 请输入单位的纳税人识别号（统一社会信用代码）；个人发票可回复“跳过”。
slot-email = 请输入接收电子发票的邮箱地址。
slot-invoice-email = 请输入接收电子发票的邮箱地址；不需要邮箱接收的可回复“跳过”。

## 输入校验与对话状态

slot-invalid-account-no = 这个户号好像不对，请核对后重新输入。户号可在缴费票据或缴费卡上查到；找不到的话可以回复“查户号”。
slot-invalid-phone = 手机号码格式不正确，请输入11位手机号码。
slot-invalid-date = 没能识别这个日期，请回复如“明天”“下周一”或“11月20日”。
slot-date-in-past = 这个日期已经过去了，请选择今天或以后的日期。
slot-invalid-area = 面积格式不正确，请只输入数字，单位是平方米，如“86.5”。
slot-confirm-yes-no = 请回复“确认”继续办理，或回复“取消”结束办理。
dialogue-cancelled = 好的，本次办理已取消。如需重新办理，随时告诉我。
dialogue-timeout-restart = 由于较长时间没有收到您的回复，本次办理已结束。如需继续，请重新发送您要办理的事项。

## 业务系统接口的拒绝原因（服务接口返回的固定代码）

service-arrears-unpaid = 该户号还有往期未缴清的热费，请先缴清欠费后再申请。
service-suspension-deadline-passed = 本采暖期的停供申请已过截止日期，本采暖期无法办理停供。
service-suspension-limit = 该户号已连续停供达到上限，请携带相关证件到营业厅办理，需现场核验。
service-already-suspended = 该户号本采暖期已办理停供。
service-not-suspended = 该户号目前未停供，无需办理复供。
service-resumption-limit = 该户号本采暖期的复供次数已用完。
service-request-pending = 该户号已有同类申请正在办理中，回复“进度”可查看办理状态。
service-area-absurd = 这个面积好像不对，请核对不动产权证上的面积后重新输入。
service-request-closed = 这个申请已经办结，无法再更改。
service-status-transition = 这个申请当前所处的环节无法直接转到该环节。
service-status-conflict = 这个申请刚刚有了更新，请查看最新状态后再试。
service-idempotency-key-reused = 这个提交编号已用于另一笔申请。
service-idempotency-key-required = 每次变更都需要提供 Idempotency-Key 请求头。
service-invalid = 部分信息格式不正确，请核对后重试。
service-unavailable = 业务系统暂时繁忙，您的申请已保存，系统恢复后会自动为您办理。
service-account-not-found = 没有找到这个户号，请核对后重新输入。
service-refused = 这个申请暂时无法受理，请拨打客服热线或到营业厅咨询。

## 对话：办理过程

dialogue-declined = 好的，有需要随时告诉我。
dialogue-switched = 好的，先为您办理这一项。
dialogue-resume = 回到刚才的办理：
dialogue-choose-account = 您绑定了多个户号，请问办理哪一个？请回复序号：
dialogue-choose-account-again = 请回复序号，选择要办理的户号。
dialogue-account-option = { $n }. { $account } { $address }
dialogue-verify-failed = 验证信息不匹配，请再核对一下户主姓名或预留手机号后4位。
dialogue-verify-locked = 验证未通过。为保护您的信息，已为您转人工客服核实；也可携带身份证到营业厅办理，或拨打{ $hotline }。
dialogue-offer-human = 抱歉，我还是没能理解您的问题，已为您转接人工客服，请稍候；也可拨打服务热线{ $hotline }。
dialogue-clarify-again = 没能对上您说的选项，请再选一次：
dialogue-image-received = 照片已收到，会附在您的申请里。
dialogue-image-no-form = 照片已收到。目前没有正在办理的事项；如需报修或面积核实，请先告诉我要办理什么，照片会附在申请里。
form-summary-intro = 请核对您的信息：
field-line = { $field }：{ $value }
field-skipped = 未提供
field-area-value = { $area }平方米
field-images-value = { $n }张
field-account-no = 户号
field-reason = 原因
field-address = 地址
field-phone = 联系电话
field-problem = 情况说明
field-date = 上门日期
field-time-of-day = 上门时段
field-photos = 照片
field-area = 申请面积
field-evidence = 证明材料
field-invoice-party = 开票对象
field-invoice-kind = 发票类型
field-title = 发票抬头
field-tax-no = 税号
field-email = 接收邮箱
time-of-day-morning = 上午
time-of-day-noon = 中午
time-of-day-afternoon = 下午
time-of-day-evening = 晚上
time-of-day-all-day = 全天
choice-person = 个人
choice-company = 单位
choice-e-ordinary = 电子普通发票
choice-paper-ordinary = 纸质普通发票
choice-vat-special = 增值税专用发票
offer-suspension = 需要现在为您在线办理停供吗？回复“是”开始办理。
offer-resumption = 需要现在为您在线申请复供吗？回复“是”开始办理。
offer-inspection = 自查后仍不热的，需要为您预约上门检测吗？回复“是”开始预约。
offer-repair = 需要为您预约上门服务吗？回复“是”开始预约。
offer-invoice = 需要现在在线申请开票吗？回复“是”开始办理。
offer-area-change = 需要现在在线申请面积核实吗？回复“是”开始办理。

## 对话：户号绑定

binding-done = 户号 { $account }（{ $address }）已验证并绑定到您的微信，以后查询和办理无需再输入户号。
binding-limit = 每个微信最多绑定{ $max }个户号，本次只为您验证、不再新增绑定；如需绑定，请先解绑不用的户号。
binding-already = 户号 { $account } 已经绑定在您的微信上了。
binding-not-bound = 户号 { $account } 没有绑定在您的微信上。
binding-none = 您还没有绑定户号。回复“绑定户号”即可绑定。
binding-unbound = 已解除绑定：{ $account }。
binding-list-intro = 您的微信已绑定的户号：

## 对话：查询

payment-header = 户号 { $account }（{ $address }）的热费情况：
payment-bill = { $season }采暖期：应缴{ $amount }元，已缴{ $paid }元，未缴{ $outstanding }元
payment-arrears = 合计欠费{ $total }元。可在公众号直接缴纳，也可到营业厅缴费。
payment-no-arrears = 目前没有欠费，感谢您按时缴费！
payment-recent = 缴费记录：{ $at } { $amount }元（{ $channel }）
pay-channel-wechat = 微信
pay-channel-alipay = 支付宝
pay-channel-counter = 营业厅
hall-item = { $name }：{ $address }，电话{ $phone }，营业时间{ $hours }
hall-nearest = 离您最近的是{ $name }（约{ $km }公里）：{ $address }，电话{ $phone }，营业时间{ $hours }。
owed-bind-first = 减免金额按户号计算，请先回复“绑定户号”完成绑定和身份核验，再问“我能减免多少”即可查询。
owed-none = 户号 { $account } 在 { $season } 采暖期目前没有需要减免的热费（没有低于标准的测温记录，也没有超过时限的停热）。
owed-header = 户号 { $account }（{ $address }）{ $season } 采暖期的减免：
owed-line-below = · 自 { $from } 起 { $days } 天，测得最低室温 { $celsius }℃，减免 { $percent }%：{ $amount } 元
owed-line-interruption = · 自 { $from } 起停热 { $hours } 小时，计 { $days } 天，减免 { $percent }%：{ $amount } 元
owed-total = 合计减免 { $total } 元，将在热费中抵扣。
status-none = 您绑定的户号目前没有正在办理的申请。
status-request = 申请编号{ $id }（户号 { $account }，{ $kind }）：当前状态“{ $status }”
status-event = · { $at } { $status }
status-event-note = · { $at } { $status }（{ $note }）
status-visit-due = · 上门检测时限：{ $at } 前
status-rectify-by = · 测得最低室温 { $celsius }℃，低于 { $standard }℃ 的标准；整改期限：{ $at } 前
status-next = 每一步有进展都会通知您；如需催办请拨打服务热线。
status-urgent = 这是紧急工单，抢修人员会尽快处理。
request-kind-suspension = 停供
request-kind-resumption = 复供
request-kind-repair = 上门维修
request-kind-inspection = 上门检测
request-kind-leak = 漏水抢修
request-kind-area-change = 面积核实
request-kind-invoice = 开具发票
request-status-submitted = 已受理
request-status-awaiting-payment = 待缴费
request-status-paid = 已缴费
request-status-under-review = 二级审核中
request-status-work-order-issued = 已派单
request-status-in-progress = 处理中
request-status-valve-closed = 已关阀
request-status-valve-opened = 已开阀
request-status-completed = 已办结
request-status-rejected = 未通过
request-status-cancelled = 已取消

## 对话：办理

suspension-quote = 户号 { $account } 申请{ $season }采暖期停供：停供期间需缴纳基本热费{ $fee }元；这将是连续第{ $in_a_row }个停供采暖期（最多连续{ $max_in_a_row }个）；同一采暖期停供后复供限{ $max_resumptions }次。
resumption-quote = 户号 { $account } 申请复供：开栓费{ $opening }元，当期剩余天数热费{ $heat }元，往期欠费{ $arrears }元，合计{ $total }元；本采暖期办理后还可复供{ $left }次。办理流程：申请→缴费→派单至换热站→上门开阀→通知您。
area-preview-direct = 档案面积{ $current }平方米，您申请{ $claimed }平方米，差异在直接核准范围内，提交后立即生效。
area-preview-review = 档案面积{ $current }平方米，您申请{ $claimed }平方米，差异超出直接核准范围，提交后需二级审核，必要时上门实测。
invoice-not-online = 纸质发票和增值税专用发票需到营业厅开具领取，所需材料见上面的说明。
leak-recorded = 您的漏水情况已登记并转人工处理，抢修人员会尽快联系您；情况紧急请直接拨打24小时抢修电话{ $emergency }。
request-created = 已为您提交{ $kind }申请，编号{ $id }（户号 { $account }）。
request-next-suspension = 工作人员将上门关阀，关阀完成后会通知您。回复“进度”可随时查看。
request-next-resumption = 请在公众号缴纳复供费用{ $fee }元；缴费后系统派单至换热站，上门开阀后会通知您。回复“进度”可随时查看。
request-next-visit = 工作人员会在上门前电话联系您确认时间。回复“进度”可随时查看。
request-next-leak = 已标记为紧急工单，抢修人员会尽快联系您；情况紧急请直接拨打24小时抢修电话{ $emergency }。
request-next-invoice = 电子发票开具后会发送到您的邮箱。
request-next-area-approved = 面积已直接核准为{ $area }平方米，下期账单按新面积计算。
request-next-area-review = 面积变更已提交二级审核，审核结果会通知您。
outbox-created = 您之前提交的申请已受理，编号{ $id }（户号 { $account }）。
outbox-failed = 您之前提交的申请未能受理：{ $reason }

## Request progress told to residents
notify-request-progress = 您的{ $kind }申请（编号{ $id }）有新进展：{ $status }。
notify-request-progress-note = 您的{ $kind }申请（编号{ $id }）有新进展：{ $status }（{ $note }）。
# A complaint case closed: its outcome and the follow-up question (answered 1-5 or in words).
notice-complaint-outcome = 您的投诉（编号{ $number }）已处理完毕：{ $outcome }。请为本次处理打分：回复 1–5（5 为非常满意）。
complaint-follow-up-thanks = 感谢您的评价！您的意见已记入投诉回访。还有其他问题可以随时留言。

## Template messages (outside WeChat's 48-hour window): the headline and the closing line of
## each kind. Keys of the `thing` kind take at most 20 characters: keep these short.
notice-title-request-progress = 您的业务办理有新进展
notice-remark-request-progress = 详情可在公众号内留言查询
notice-title-complaint-outcome = 您的投诉已处理完毕
notice-remark-complaint-outcome = 请回复1-5为本次处理打分
notice-title-interruption = 供热临时中断通知
notice-remark-interruption = 恢复供热后我们会再通知您
notice-title-interruption-restored = 供热已恢复通知
notice-remark-interruption-restored = 如数小时后仍不热，请在公众号回复“暖气不热”

## Handoff to a person
handoff-queued = 已为您转接人工客服，您前面还有 { $position } 位，预计等待约 { $minutes } 分钟。客服接入后会在这里回复您，请留意消息。
handoff-after-hours = 现在是人工客服下班时间（服务时间 { $open }–{ $close }）。您的问题已记录，客服将在 { $opens } 上班后第一时间在这里回复您；漏水等紧急情况请直接拨打抢修电话。
handoff-rating-prompt = 本次人工服务已结束。请为我们的服务打分：回复 1–5（5 为非常满意）。
handoff-rating-thanks = 感谢您的评价！还有其他问题可以随时留言。
slot-invalid-email = 这不像邮箱地址。请输入接收电子发票的邮箱，例如 name@example.com。
slot-invalid-address = 地址还不够详细：请写上小区、楼号和门牌号，例如“滨河小区5号楼2单元301”。
slot-invalid-image = 这一步需要一张照片：请点输入框旁的“+”，选择“相册”或“拍摄”发送照片。
slot-way-out = 如果现在不方便，可以回复“取消”结束办理，或回复“人工”由客服帮您。
slot-way-out-optional = 这一项可以不填：回复“跳过”继续；也可以回复“取消”结束办理，或回复“人工”由客服帮您。

# A resident's complaint became a case: its number and the deadlines of the settings.
complaint-lodged = 您的投诉编号：{ $number }。我们将在 { $contact_by } 前与您联系，{ $resolve_by } 前答复处理结果。
## Interruptions of the heat supply (停热 / 抢修 / 计划检修)
interruption-kind-fault = 抢修停热
interruption-kind-planned = 计划检修停热
interruption-kind-season-not-started = 尚未开始供热
interruption-told = 【{ $kind }】{ $scope }：{ $cause }。开始时间 { $start }，预计恢复时间 { $eta }。
interruption-offer = 回复“恢复后通知我”，预计恢复时间有变化或恢复供热时我们会第一时间通知您。如果您家的情况与此无关，仍要报修，请回复“还是要报修”。
interruption-subscribed = 好的，恢复时间有变化或恢复供热时会在这里通知您。
interruption-subscribed-again = 您已经订阅了这次停热的通知，有变化会第一时间告诉您。
interruption-noted = 好的。还有其他问题可以随时留言。
interruption-which-estate = 您所在的区域目前可能有停热抢修。请问您住在哪个小区？也可以先绑定户号（回复“绑定户号”），我们会按您的地址告诉您是否受影响。
interruption-notice-eta = 停热通知更新：{ $scope } 预计恢复供热时间调整为 { $eta }。原因：{ $cause }。
interruption-notice-restored = 停热通知：{ $scope } 已恢复供热，暖气片需要一段时间才能热起来。如数小时后仍不热，请回复“暖气不热”报修。
interruptions-page-title = 停热公告
interruptions-page-current = 正在停热
interruptions-page-planned = 计划停热
interruptions-page-none = 暂无
interruptions-page-updated = 更新时间

## Interruption API refusals
incident-unknown-estate = 没有这个小区：请使用小区名册中的名称。
incident-unknown-district = 没有这个区：请使用区的正式名称。
incident-estate-outside-district = 小区不在所填的区内。
incident-no-scope = 请至少填写区或小区。
incident-no-cause = 请填写停热原因（居民看到的说明）。
incident-end-before-start = 预计恢复时间早于开始时间。
incident-eta-in-past = 预计恢复时间已经过去。
incident-already-restored = 这次停热已经恢复，不能再修改。

## Triage before a visit for "not warm": what holds instead of booking, then the self-check
triage-season-not-started = 现在还没到供暖期：本采暖期为{ $start }至{ $end }，供暖开始前暖气不热属正常情况。开始供暖后如仍不热，请回复“暖气不热”；确需现在上门检查，请回复“还是要报修”。
triage-suspended = 户号 { $account } 本采暖期已办理报停，暖气不热属正常情况。如需恢复供热，请回复“申请复供”。
triage-valve-closed = 户号 { $account } 的复供申请正在办理（当前：{ $status }），阀门尚未开启，开阀后即恢复供热（{ $when }）。回复“进度”可查看办理进度。
triage-arrears = 户号 { $account } 有逾期未缴的热费 { $yuan } 元，欠费期间阀门暂不开启，这是暖气不热的原因（{ $when }）。
triage-self-check = 以上自查（阀门全开、暖气片放气、过滤器清洗）做完后，结果怎样？请点选或直接回复：
    { $still_cold }
    { $warm_now }
triage-button-still-cold = 都做过了，还是不热
triage-button-warm-now = 已经热了
triage-resolved = 太好了！如果之后又不热了，随时告诉我。

# 测温低于标准（补偿，issue 16）。
notify-measurement-below = 您的室温检测（编号{ $id }）测得{ $celsius }℃，低于{ $standard }℃的标准。上门时限为{ $visit_due }；我们将于{ $rectify_by }前整改到位。低于标准的天数将按规定减免热费。
notify-measurement-below-status = 室温不达标，已承诺整改
notify-measurement-below-note = 整改期限：{ $rectify_by }
