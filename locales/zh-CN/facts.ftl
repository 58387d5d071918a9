# Facts that settings own: the replies' {placeholders} of these names are rendered from the
# settings (rules, desk hours), never copied into phrasebook/facts.toml.
fact-month-day = { $month }月{ $day }日
fact-next-year-month-day = 次年{ $month }月{ $day }日
fact-hours = { $days } { $open }-{ $close }
fact-hours-around-the-clock = { $days } 全天
fact-days-all = 周一至周日
fact-days-weekdays = 周一至周五
fact-days-separator = 、
fact-weekday-1 = 周一
fact-weekday-2 = 周二
fact-weekday-3 = 周三
fact-weekday-4 = 周四
fact-weekday-5 = 周五
fact-weekday-6 = 周六
fact-weekday-7 = 周日
fact-suspension-fee = 按面积热费的{ $percent }%收取基本热费
fact-suspension-limit = 同一采暖期内停供后复供限{ $resumptions }次，连续{ $suspensions }个采暖期报停的需现场核验
fact-resumption-fee = 补缴当期剩余天数热费及开栓费{ $yuan }元
fact-residential-price = { $yuan }元/平方米·采暖期
fact-area-review-threshold = { $percent }%或{ $m2 }平方米
fact-complaint-response-time = 受理后{ $hours }小时内联系您，{ $days }天内答复处理结果
fact-indoor-temp-standard = { $celsius }℃
fact-compensation-rules = 室温低于{ $standard }℃的天数，按当日热费减免：{ $bands }；停热（抢修、计划检修）连续超过{ $hours }小时的，每天减免当日热费的{ $percent }%
fact-compensation-band = { $from }至{ $to }℃减免{ $percent }%
fact-compensation-band-below = 低于{ $to }℃减免{ $percent }%
fact-compensation-separator = ，
