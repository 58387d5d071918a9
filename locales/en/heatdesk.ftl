# heatdesk: resident-facing interface strings (English).
# The standard replies live in phrasebook/, not here. Both locale files must have exactly the same message ids.

## Welcome and fallback

bot-welcome =
    Hello, and welcome to { $company }! I am the heating service assistant. I can help you:
    1. Check what you owe and pay your heating bill online
    2. Report a radiator that is not warm and book a temperature check
    3. Suspend or resume heating, and follow your request
    4. Get an e-invoice or a VAT special invoice
    5. Link your account number, change the account holder, correct your heated area
    6. Find the heating season dates, prices and service hall addresses
    Just type your question, for example "radiator not warm", "what do I owe" or "suspend heating".
    For a person, reply "agent"; for a leak or other emergency, call { $hotline } right away.
bot-not-understood = Sorry, I did not understand. Please describe your question again in a few words, for example "radiator not warm" or "how to pay"; you can also reply "agent", or call our hotline { $hotline }.
bot-clarify-intro = Did you mean:
bot-clarify-option = { $n }. { $title }
bot-clarify-outro = Please reply with the number; if none of these fits, please say it another way.
bot-unsupported-kind = Sorry, I cannot read this message yet ({ $kind }). Please describe your question in text and I will answer as soon as I can; for a person, reply "agent".
bot-service-unavailable = Sorry, the system cannot complete your request right now. We have kept your request and will reply to you soon; if it is urgent, please call { $hotline }.
bot-reply-later = We have received your message and are working on it. We will reply shortly; please watch for our message.

## Message kind names

kind-image = image
kind-voice = voice message
kind-video = video
kind-shortvideo = short video
kind-location = location
kind-link = link
kind-file = file
kind-unknown = unknown type

## API errors

error-bad-request = The request is not well formed. Please check it and try again.
error-empty-text = The message must not be empty.
error-text-too-long = The message is too long. Please keep it within { $max } characters.
error-payload-too-large = The content sent is too large to process.
error-unsupported-media = This content format is not supported.
error-not-found = What you asked for was not found.
error-internal = An internal error occurred. Please try again later.
error-unauthorized = Please sign in or provide valid credentials.
error-forbidden = You do not have permission to do this.
error-rate-limited = Too many requests. Please try again later.

## Labels

confidence-high = High
confidence-medium = Medium
confidence-low = Low
channel-wechat = WeChat official account
channel-hotline = Service hotline
channel-counter = Service hall counter

## Information asked from residents during a request

slot-account-no = Please give your account number (user number). You can find it on a payment receipt, an e-invoice or your payment card.
slot-phone = Please leave a mobile number where we can reach you.
slot-address = Please give your full address: district, estate name, building, entrance and flat number.
slot-problem = Please describe the problem briefly, for example which room, which radiator, and since when.
slot-date = Which day would suit you for the visit? You can reply "tomorrow", "Saturday" or a date such as "20 November".
slot-time-of-day = Would the morning or the afternoon suit you better?
slot-photo = If you can, please send a photo of the radiator, the valve or an indoor thermometer; otherwise reply "skip".
slot-area = Please enter the heated area you believe is correct, in square metres, for example "86.5".
slot-evidence = Please upload a photo of the page of your property certificate or purchase contract that shows the area.
slot-verification = To protect your information, please reply with the account holder's name or the last 4 digits of the registered mobile number.
slot-reason = Would you tell us why, for example the flat is empty, you are away for the winter, or it is let but unoccupied? Reply "skip" if you prefer not to say.
slot-confirm = Please check the details above. Reply "confirm" to go ahead, or "cancel" to cancel.
slot-district = Which district are you in? Reply 1 for Haibowan, 2 for Wuda, 3 for Hainan.
slot-invoice-party = Is the invoice for a person or for a company? Reply 1 for a person, 2 for a company.
slot-invoice-kind = Please choose the invoice type: 1 ordinary e-invoice, 2 ordinary paper invoice, 3 VAT special invoice (companies only).
slot-invoice-title = Please enter the invoice title: your name for a person, the full registered name for a company.
slot-tax-no = Please enter the company's taxpayer identification number (unified social credit code).
slot-invoice-tax-no = Please enter the company's taxpayer identification number (unified social credit code); for a personal invoice, reply "skip".
slot-email = Please enter the email address to receive the e-invoice.
slot-invoice-email = Please enter the email address to receive the e-invoice; reply "skip" if you do not need it by email.

## Input checks and dialogue state

slot-invalid-account-no = That account number does not look right. Please check it and enter it again. You can find it on a payment receipt or your payment card; if you cannot find it, reply "find my account number".
slot-invalid-phone = That mobile number is not valid. Please enter an 11-digit mobile number.
slot-invalid-date = I could not read that date. Please reply with something like "tomorrow", "next Monday" or "20 November".
slot-date-in-past = That date has already passed. Please choose today or a later date.
slot-invalid-area = That area is not valid. Please enter a number only, in square metres, for example "86.5".
slot-confirm-yes-no = Please reply "confirm" to go ahead, or "cancel" to stop.
dialogue-cancelled = All right, this request has been cancelled. Tell me any time if you want to start again.
dialogue-timeout-restart = As we have not heard from you for a while, this request has been closed. To continue, please send what you would like to do again.

## Service API refusals (stable codes returned by the service API)

service-arrears-unpaid = There are unpaid heating charges from earlier seasons on this account. Please pay them first, then apply again.
service-suspension-deadline-passed = The deadline for suspension applications this season has passed, so heating cannot be suspended this season.
service-suspension-limit = This account has already been suspended for the most consecutive seasons allowed. Please visit a service hall with your documents for an on-site check.
service-already-suspended = Heating on this account is already suspended this season.
service-not-suspended = Heating on this account is not suspended, so there is nothing to resume.
service-resumption-limit = This account has already used the resumptions allowed this season.
service-request-pending = A request of this kind is already being handled for this account. Reply "progress" to see where it stands.
service-area-absurd = That area does not look right. Please check the figure on your property certificate and enter it again.
service-request-closed = This request has already been closed and cannot be changed.
service-status-transition = This request cannot move to that step from where it is now.
service-status-conflict = This request was updated a moment ago. Please look at its latest status and try again.
service-idempotency-key-reused = This submission number was already used for a different request.
service-idempotency-key-required = Every change needs an Idempotency-Key header.
service-invalid = Some of the details are not valid. Please check them and try again.
service-unavailable = The business system is busy right now. Your request has been kept and will be processed as soon as it is back.
service-account-not-found = No heating account was found with that number. Please check it and try again.
service-refused = This request cannot be accepted. Please call the hotline or visit a service hall.

## Dialogue: the course of a request

dialogue-declined = All right. Tell me any time if you need anything.
dialogue-switched = All right, let us do this first.
dialogue-resume = Back to your request:
dialogue-choose-account = Several accounts are bound to your WeChat. Which one? Please reply with the number:
dialogue-choose-account-again = Please reply with the number of the account.
dialogue-account-option = { $n }. { $account } { $address }
dialogue-verify-failed = That does not match. Please check the account holder's name or the last 4 digits of the registered mobile number.
dialogue-verify-locked = The verification failed. To protect your information, an agent will check it with you; you can also visit a service hall with your ID card, or call { $hotline }.
dialogue-offer-human = Sorry, I still could not understand your question. An agent will take over shortly; you can also call our hotline { $hotline }.
dialogue-clarify-again = That did not match an option. Please choose again:
dialogue-image-received = Photo received; it will be attached to your request.
dialogue-image-no-form = Photo received. There is no request in progress; to report a repair or an area correction, tell me what you need first and the photo will be attached to it.
form-summary-intro = Please check your details:
field-line = { $field }: { $value }
field-skipped = not given
field-area-value = { $area } m²
field-images-value = { $n } photo(s)
field-account-no = Account
field-reason = Reason
field-address = Address
field-phone = Phone
field-problem = Problem
field-date = Visit date
field-time-of-day = Visit time
field-photos = Photos
field-area = Claimed area
field-evidence = Evidence
field-invoice-party = Invoice for
field-invoice-kind = Invoice type
field-title = Invoice title
field-tax-no = Tax number
field-email = Email
time-of-day-morning = morning
time-of-day-noon = noon
time-of-day-afternoon = afternoon
time-of-day-evening = evening
time-of-day-all-day = all day
choice-person = a person
choice-company = a company
choice-e-ordinary = ordinary e-invoice
choice-paper-ordinary = ordinary paper invoice
choice-vat-special = VAT special invoice
offer-suspension = Shall I suspend your heating online now? Reply "yes" to start.
offer-resumption = Shall I apply for the resumption of your heating online now? Reply "yes" to start.
offer-inspection = If it is still not warm after these checks, shall I book an inspection visit? Reply "yes" to start.
offer-repair = Shall I book a visit for you? Reply "yes" to start.
offer-invoice = Shall I request the invoice online now? Reply "yes" to start.
offer-area-change = Shall I apply for an area check online now? Reply "yes" to start.

## Dialogue: account binding

binding-done = Account { $account } ({ $address }) is verified and bound to your WeChat; you will not need to enter it again.
binding-limit = At most { $max } accounts can be bound to one WeChat user. This account is verified for now but not bound; unbind one you no longer use to bind it.
binding-already = Account { $account } is already bound to your WeChat.
binding-not-bound = Account { $account } is not bound to your WeChat.
binding-none = No account is bound to your WeChat yet. Reply "bind account" to bind one.
binding-unbound = Unbound: { $account }.
binding-list-intro = Accounts bound to your WeChat:

## Dialogue: lookups

payment-header = Heating charges of account { $account } ({ $address }):
payment-bill = Season { $season }: billed { $amount } yuan, paid { $paid } yuan, outstanding { $outstanding } yuan
payment-arrears = Outstanding in total: { $total } yuan. You can pay in this official account or at a service hall.
payment-no-arrears = Nothing is outstanding. Thank you for paying on time!
payment-recent = Payment: { $at } { $amount } yuan ({ $channel })
pay-channel-wechat = WeChat
pay-channel-alipay = Alipay
pay-channel-counter = service hall
hall-item = { $name }: { $address }, phone { $phone }, open { $hours }
hall-nearest = The nearest hall is { $name } (about { $km } km): { $address }, phone { $phone }, open { $hours }.
owed-bind-first = Reductions are worked out per account. Please bind your account first (reply "bind account" and confirm it is yours), then ask again what you are owed.
owed-none = Account { $account } is owed nothing for the { $season } season so far (no measurement below the standard and no interruption beyond the limit).
owed-header = Reductions for account { $account } ({ $address }), season { $season }:
owed-line-below = · { $days } day(s) from { $from }, coldest room { $celsius } °C, { $percent }% off: { $amount } yuan
owed-line-interruption = · interruption of { $hours } h from { $from }, { $days } day(s), { $percent }% off: { $amount } yuan
owed-total = In all { $total } yuan, taken off your heating bill.
status-none = There is no request in progress for your bound accounts.
status-request = Request { $id } (account { $account }, { $kind }): now "{ $status }"
status-event = · { $at } { $status }
status-event-note = · { $at } { $status } ({ $note })
status-visit-due = · Visit due by { $at }
status-rectify-by = · Lowest room measured at { $celsius } °C, below the { $standard } °C standard; to be put right by { $at }
status-next = We will tell you at every step; to hurry it along, call our hotline.
status-urgent = This is an urgent work order; the emergency team will handle it as soon as possible.
request-kind-suspension = suspension
request-kind-resumption = resumption
request-kind-repair = in-home repair
request-kind-inspection = inspection visit
request-kind-leak = leak repair
request-kind-area-change = area check
request-kind-invoice = invoice
request-status-submitted = received
request-status-awaiting-payment = awaiting payment
request-status-paid = paid
request-status-under-review = under second-level review
request-status-work-order-issued = work order issued
request-status-in-progress = in progress
request-status-valve-closed = valve closed
request-status-valve-opened = valve opened
request-status-completed = completed
request-status-rejected = rejected
request-status-cancelled = cancelled

## Dialogue: requests

suspension-quote = Suspending account { $account } for the { $season } season: a basic charge of { $fee } yuan is still due; this would be suspended season { $in_a_row } in a row (at most { $max_in_a_row }); after a suspension, heating can be resumed { $max_resumptions } time(s) per season.
resumption-quote = Resuming account { $account }: valve-opening fee { $opening } yuan, heat charge for the rest of the season { $heat } yuan, earlier arrears { $arrears } yuan, { $total } yuan in total; { $left } more resumption(s) this season afterwards. The steps: apply → pay → work order to the station → valve opened → you are told.
area-preview-direct = The area on file is { $current } m² and you claim { $claimed } m²; the difference can be approved directly and takes effect at once.
area-preview-review = The area on file is { $current } m² and you claim { $claimed } m²; the difference needs a second-level review, possibly with a measurement on site.
invoice-not-online = Paper invoices and VAT special invoices are issued and collected at a service hall; the documents needed are listed above.
leak-recorded = Your leak has been recorded and passed to an agent; the emergency team will contact you shortly. If it is urgent, call the 24-hour emergency line { $emergency } now.
request-created = Your { $kind } request has been submitted: number { $id } (account { $account }).
request-next-suspension = A technician will close the valve and we will tell you when it is done. Reply "progress" at any time to see where it stands.
request-next-resumption = Please pay the resumption charge of { $fee } yuan in this official account; a work order then goes to the station, and we will tell you when the valve is open. Reply "progress" at any time.
request-next-visit = The technician will call you before the visit to confirm the time. Reply "progress" at any time.
request-next-leak = Marked as an urgent work order; the emergency team will contact you shortly. If it is urgent, call the 24-hour emergency line { $emergency } now.
request-next-invoice = The e-invoice will be sent to your email once issued.
request-next-area-approved = The area has been approved directly as { $area } m²; your next bill uses it.
request-next-area-review = The area change has gone to second-level review; we will tell you the result.
outbox-created = Your earlier request has been accepted: number { $id } (account { $account }).
outbox-failed = Your earlier request could not be accepted: { $reason }

## Request progress told to residents
notify-request-progress = Your { $kind } request ({ $id }) has moved on: { $status }.
notify-request-progress-note = Your { $kind } request ({ $id }) has moved on: { $status } ({ $note }).
# A complaint case closed: its outcome and the follow-up question (answered 1-5 or in words).
notice-complaint-outcome = Your complaint ({ $number }) has been dealt with: { $outcome }. How satisfied are you? Reply 1–5 (5: very satisfied).
complaint-follow-up-thanks = Thank you! Your answer is recorded with your complaint. Write to us any time.

## Template messages (outside WeChat's 48-hour window): the headline and the closing line of
## each kind. Keys of the `thing` kind take at most 20 characters: keep these short.
notice-title-request-progress = Your request has moved on
notice-remark-request-progress = Write to us for details
notice-title-complaint-outcome = Your complaint is dealt with
notice-remark-complaint-outcome = Rate it: reply 1 to 5
notice-title-interruption = Heating interrupted
notice-remark-interruption = We will tell you when it is back
notice-title-interruption-restored = Heating restored
notice-remark-interruption-restored = Still cold after a few hours? Reply "not warm"

## Handoff to a person
handoff-queued = You have been passed to an agent: { $position } in the queue, about { $minutes } minutes to wait. The agent will answer here, so please keep an eye on this chat.
handoff-after-hours = Our agents are off duty now (service hours { $open }–{ $close }). Your question has been recorded and an agent will answer here as soon as the desk opens at { $opens }; for a leak or other emergency, call the emergency line.
handoff-rating-prompt = This conversation with our agent has ended. Please rate our service: reply 1–5 (5 = very satisfied).
handoff-rating-thanks = Thank you for your rating! Write to us any time.
slot-invalid-email = That does not look like an e-mail address. Please type the address for the e-invoice, e.g. name@example.com.
slot-invalid-address = The address needs a little more: the estate, the building and the door, e.g. "Binhe estate, building 5, unit 2, 301".
slot-invalid-image = This step needs a photo: tap "+" beside the input box and choose "Album" or "Camera".
slot-way-out = If now is not a good time, reply "cancel" to stop, or "person" for an agent.
slot-way-out-optional = You may leave this out: reply "skip" to go on, "cancel" to stop, or "person" for an agent.

# A resident's complaint became a case: its number and the deadlines of the settings.
complaint-lodged = Your complaint number is { $number }. We will contact you by { $contact_by } and give you the outcome by { $resolve_by }.
## Interruptions of the heat supply
interruption-kind-fault = Emergency repair
interruption-kind-planned = Planned works
interruption-kind-season-not-started = Heating season not started
interruption-told = [{ $kind }] { $scope }: { $cause }. Since { $start }, expected back by { $eta }.
interruption-offer = Reply "notify me when it is back" and we tell you here when the expected time changes or heat is back. If your problem is something else and you still want a repair, reply "I still want a repair".
interruption-subscribed = Fine: we tell you here when the expected time changes or heat is back.
interruption-subscribed-again = You are already on the list for this interruption; we tell you of any change.
interruption-noted = Fine. Write any time if there is anything else.
interruption-which-estate = There may be an interruption in your area. Which estate do you live in? You can also bind your account first (reply "bind account"), and we tell you whether it is affected.
interruption-notice-eta = Interruption update: heat in { $scope } is now expected back by { $eta }. Cause: { $cause }.
interruption-notice-restored = Interruption: heat is back in { $scope }; radiators take a while to warm up. If it is still cold after a few hours, reply "not warm" to report it.
interruptions-page-title = Heating interruptions
interruptions-page-current = Interrupted now
interruptions-page-planned = Planned
interruptions-page-none = None
interruptions-page-updated = Updated

## Interruption API refusals
incident-unknown-estate = No such estate: use a name from the estate register.
incident-unknown-district = No such district: use the district's official name.
incident-estate-outside-district = The estate is not in the district given.
incident-no-scope = Name at least a district or an estate.
incident-no-cause = Give the cause, as residents should read it.
incident-end-before-start = The expected restoration is before the start.
incident-eta-in-past = The expected restoration is in the past.
incident-already-restored = This interruption is restored and can no longer be changed.

## Triage before a visit for "not warm": what holds instead of booking, then the self-check
triage-season-not-started = The heating season has not started yet: it runs from { $start } to { $end }, so cold radiators are normal until then. If it is still cold once heating has started, reply "not warm"; if you need a visit now all the same, reply "I still want a repair".
triage-suspended = Heating for account { $account } is suspended this season, so the radiators are cold. To have it back, reply "resume heating".
triage-valve-closed = The resumption for account { $account } is under way (now: { $status }); the valve is not opened yet and heat comes back once it is ({ $when }). Reply "status" to follow it.
triage-arrears = Account { $account } has { $yuan } yuan of overdue heating charges; the valve stays closed until they are paid, which is why it is cold ({ $when }).
triage-self-check = Once you have done the self-check above (valves fully open, radiators bled, filter cleaned), how is it? Tap or reply:
    { $still_cold }
    { $warm_now }
triage-button-still-cold = Done, still cold
triage-button-warm-now = Warm now
triage-resolved = Good to hear! If it gets cold again, just write.

# A room of an inspection measured below the standard (compensation, issue 16).
notify-measurement-below = Your room temperature check ({ $id }) measured { $celsius } °C, below the standard of { $standard } °C. The visit was due by { $visit_due }; the heating will be put right by { $rectify_by }. Days below the standard reduce your heating fee.
notify-measurement-below-status = Below the standard, rectification promised
notify-measurement-below-note = Put right by { $rectify_by }
