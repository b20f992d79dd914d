// Enterprise batch jobs: templated instructions over varying customer text.
extension GrammarBuilder {
    mutating func addBusiness() {
        rule("biz_job", [
            "Summarize the following support ticket in 3 bullet points:\n\n{ticket}",
            "Summarize the following support ticket in 3 bullet points:\n\n{ticket}",
            "Summarize the following support ticket in 3 bullet points:\n\n{ticket}",
            "Classify the sentiment of this customer review as positive, negative or mixed. Respond with one word.\n\nReview: {review}",
            "Classify the sentiment of this customer review as positive, negative or mixed. Respond with one word.\n\nReview: {review}",
            "Extract the order number, product and requested action from this email as JSON with keys order_id, product, action.\n\nEmail:\n{ticket}",
            "Assign exactly one category (billing, shipping, account, technical, returns, other) to this ticket. Reply with the category only.\n\nTicket:\n{ticket}",
            "Assign exactly one category (billing, shipping, account, technical, returns, other) to this ticket. Reply with the category only.\n\nTicket:\n{ticket}",
            "Write a one-sentence internal note for the agent handling this ticket:\n\n{ticket}",
            "Does this message contain personal data (names, emails, phone numbers, addresses)? Answer yes or no.\n\n{ticket}",
        ])
        for (i, job) in JudgeJobs.templates.enumerated() { rule(JudgeJobs.ruleName(i), [job]) }
        rule("judge_task", ["Find x if {#2-9}x + {#1-40} = {#41-99}.", "What is the probability of two heads in {#3-6} fair coin tosses?",
                            "Explain why the sky looks blue.", "Convert {#2-90} km/h to m/s.", "Name the main causes of the {French|Industrial|American} Revolution.",
                            "Differentiate x^{#2-6} + {#2-9}x.", "Summarise the plot of chapter {#1-12} in two sentences.", "Balance the equation H2 + O2 -> H2O.",
                            "Write a function that reverses a string.", "What is {#11-99} percent of {#100-999}?"])
        rule("ticket", [
            "Subject: {ticket_subject}\n\n{greeting} {ticket_problem} {ticket_detail} {ticket_detail} {ticket_ask} {closing}\n{cust_name}",
            "Subject: {ticket_subject}\n\n{greeting} {ticket_problem} {ticket_detail} {ticket_ask}\n{cust_name}",
            "{greeting} {ticket_problem} {ticket_detail} {ticket_detail} {ticket_detail} {ticket_ask} {closing} {cust_name}",
            "Ticket #{#100000-999999} | Priority: {low|normal|high|urgent} | Channel: {email|chat|phone transcript|web form}\n{ticket_problem} {ticket_detail} {ticket_ask}",
            "Chat transcript:\nCustomer: {ticket_problem}\nAgent: {agent_line}\nCustomer: {ticket_detail} {ticket_ask}\nAgent: {agent_line}\nCustomer: {ticket_detail}",
        ])
        words("ticket_subject", "Order not received, Charged twice, Cannot log in, Refund request, Wrong item delivered, Subscription cancellation, App keeps crashing, Change delivery address, Damaged package, Invoice question, Password reset not working, Missing parts")
        rule("greeting", ["Hi,", "Hello,", "Hi there,", "Good morning,", "Dear support team,", "Hey,", "To whom it may concern,", "", ""])
        rule("ticket_problem", [
            "I placed order {order_no} on {date_str} and it still hasn't arrived.",
            "I was charged ${#10-900}.{#10-99} twice for order {order_no}.",
            "I can't log into my account since the update on {date_str}.",
            "The {product_item} I received is {damaged|the wrong size|the wrong color|missing a part|not working}.",
            "My subscription renewed even though I cancelled it on {date_str}.",
            "Your app crashes every time I open the {cart|settings|orders|profile} page on my {iPhone|Android phone|iPad}.",
            "I need to change the shipping address for order {order_no}.",
            "The tracking number for order {order_no} says delivered but I never got the package.",
            "I was promised a {#10-50}% discount by one of your agents but it was not applied.",
            "The password reset email never arrives, I checked spam.",
        ])
        rule("ticket_detail", [
            "I've already contacted you {#2-5} times about this.", "This is really frustrating.", "My account email is {cust_email}.",
            "I've been a customer for {#2-12} years.", "The order total was ${#20-1500}.{#10-99}.", "I tried {clearing the cache|reinstalling the app|a different browser|restarting my phone} but nothing changed.",
            "The courier was {FedEx|UPS|DHL|USPS|a local courier}.", "I need this before {date_str} because it's a gift.",
            "I attached a photo of the {box|receipt|error message|label}.", "Your chat bot kept sending me in circles.",
            "Order {order_no} was fine, only this one has the problem.", "My phone number is {phone_no} if that's easier.",
            "The item was {#1-4} {unit|units} of {product_item}.", "Nobody answered the phone line for {#20-90} minutes.",
        ])
        rule("ticket_ask", ["Please refund me.", "Can you send a replacement?", "I'd like to cancel the order.", "Can someone call me back?", "Please fix this as soon as possible.", "What are my options?", "Please update the address.", "Can you escalate this?"])
        rule("closing", ["Thanks,", "Thank you,", "Regards,", "Best,", "Cheers,", "Sincerely,", ""])
        rule("cust_name", ["{first_name} {last_name}", "{first_name}", "{first_name} {last_name}"])
        words("first_name", "James, Maria, Wei, Aisha, John, Olga, Rahul, Emma, Carlos, Yuki, Fatima, David, Linda, Kwame, Sofia, Ahmed, Hannah, Luca, Mei, Noah, Isabella, Omar, Grace, Mateo")
        words("last_name", "Smith, Garcia, Chen, Khan, Johnson, Ivanova, Sharma, Brown, Lopez, Tanaka, Ali, Miller, Nguyen, Mensah, Rossi, Hassan, Schmidt, Kowalski, Silva, Okafor, Novak, Dubois")
        rule("cust_email", ["{first_name}.{last_name}{#1-99}@{gmail|outlook|yahoo|icloud|proton}.com"])
        rule("phone_no", ["+1 ({#200-989}) {#200-999}-{#1000-9999}", "+44 7{#100-999} {#100000-999999}", "0{#100-999} {#1000000-9999999}"])
        rule("order_no", ["#{#100000-9999999}", "A{#10000-99999}-{#10-99}", "ORD-{#1000000-9999999}", "{#100-999}-{#1000000-9999999}-{#1000000-9999999}"])
        rule("date_str", ["{month_abbr} {#1-28}", "{#1-28}/{#1-12}", "last {weekday}", "{month_abbr} {#1-28}, 2026"])
        words("month_abbr", "Jan, Feb, Mar, Apr, May, Jun, Jul, Aug, Sep, Oct, Nov, Dec")
        words("product_item", "blender, running shoes, phone case, winter jacket, coffee grinder, desk lamp, bluetooth speaker, yoga mat, kids' bike, printer ink, office chair, wireless mouse, vacuum filter, backpack")
        rule("agent_line", ["I'm sorry to hear that. Can you confirm your order number?", "Thanks for reaching out! Let me check that for you.", "I understand. One moment please.", "Could you send a photo of the item?", "I see the order here. Let me look into it."])
        rule("review", [
            "{review_open} {review_body} {review_body} {review_close}",
            "{review_body} {review_close}",
            "{review_open} {review_body} {review_body} {review_body}",
        ])
        words("review_open", "Bought this for my {relation}., Second one I've ordered., Used it for {#1-12} weeks now., Honestly not sure what to think., Five stars., One star., Arrived quickly.")
        rule("review_body", [
            "The {product_item} {works great|stopped working after a week|is smaller than expected|is well made|feels cheap|does exactly what it says}.",
            "Customer service was {helpful|useless|slow but polite|amazing}.", "Shipping took {#2-21} days.",
            "For ${#10-300} I expected {more|better quality|a longer battery life|a nicer box}.",
            "{My kids love it|My dog destroyed it in a day|It's loud|Setup took {#2-60} minutes|The instructions were confusing}.",
        ])
        words("review_close", "Would buy again., Returning it., Not recommended., Recommended!, Meh., Worth it., Do not buy.")
    }
}

/// Model-as-judge pipelines: an answer (a learner's, or another model's) scored against
/// criteria, with a verdict in a fixed machine-readable shape. Each service runs one.
enum JudgeJobs {
    static let templates = [
        "Score the learner's response below against the marking scheme. Reply with JSON only, with the keys score (an integer from 0 to 10) and comment (one short sentence).\n\nTask: {judge_task}\n\nLearner response: {draft_answer}\n\n{rubric}",
        "You are an automated marker for an online course. Mark the submission out of {5|6|10} using these criteria and return the mark and a brief comment as JSON.\n{rubric}\n\nQuestion: {judge_task}\nSubmission: {draft_answer}",
        "Evaluate the assistant reply for accuracy and helpfulness on a 1-5 scale. Output exactly one line: SCORE=<n>; REASON=<under 25 words>.\n\nUser request: {judge_task}\nAssistant reply: {draft_answer}",
        "Which reply answers the question better? Answer with A or B followed by one sentence of justification.\n\nQuestion: {judge_task}\nA: {draft_answer}\nB: {draft_answer}",
        "Check this homework answer. Respond with JSON holding correct (true or false), points (0 to {3|4|5}) and hint (one sentence at most).\n\nProblem: {judge_task}\nStudent's answer: {draft_answer}",
    ]

    static func ruleName(_ i: Int) -> String { "judge_job_\(i)" }
}
