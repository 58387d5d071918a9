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
