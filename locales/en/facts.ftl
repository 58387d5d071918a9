# Facts that settings own: the replies' {placeholders} of these names are rendered from the
# settings (rules, desk hours), never copied into phrasebook/facts.toml.
fact-month-day = { $day }/{ $month }
fact-next-year-month-day = { $day }/{ $month } of the next year
fact-hours = { $days } { $open }-{ $close }
fact-hours-around-the-clock = { $days }, around the clock
fact-days-all = Monday to Sunday
fact-days-weekdays = Monday to Friday
fact-days-separator = ,{" "}
fact-weekday-1 = Monday
fact-weekday-2 = Tuesday
fact-weekday-3 = Wednesday
fact-weekday-4 = Thursday
fact-weekday-5 = Friday
fact-weekday-6 = Saturday
fact-weekday-7 = Sunday
fact-suspension-fee = { $percent }% of the area heat charge as the basic charge
fact-suspension-limit = { $resumptions } resumption(s) per season after a suspension; suspending { $suspensions } seasons in a row needs an on-site check
fact-resumption-fee = the rest of the season's heat charge and a valve-opening fee of { $yuan } yuan
fact-residential-price = { $yuan } yuan per m² and season
fact-area-review-threshold = { $percent }% or { $m2 } m²
fact-complaint-response-time = we will contact you within { $hours } hours of receiving it and give you the outcome within { $days } days
fact-indoor-temp-standard = { $celsius } °C
fact-compensation-rules = each day below the indoor standard of { $standard } °C is reduced by a share of that day's fee: { $bands }; an interruption (fault or planned works) lasting more than { $hours } hours is reduced by { $percent }% per day
fact-compensation-band = { $from } to { $to } °C { $percent }%
fact-compensation-band-below = below { $to } °C { $percent }%
fact-compensation-separator = ,{" "}
