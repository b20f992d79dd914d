// Everyday prompts for casual users and the reseller's consumers.
extension GrammarBuilder {
    mutating func addCasual() {
        rule("casual_opener", [
            "{cooking}", "{cooking}", "{travel}", "{travel}", "{email}", "{email}", "{explain}", "{explain}",
            "{explain}", "{snippet}", "{snippet}", "{homework}", "{translate}", "{writing}", "{writing}",
            "{fitness}", "{money}", "{compare}", "{advice}", "{rewrite}", "{trivia}", "{plan}",
        ])
        // cooking
        rule("cooking", [
            "Give me a {easy|quick|healthy|cheap|vegetarian|high-protein|one-pot|kid-friendly} recipe for {dish} that serves {#2-8}",
            "What can I make for dinner with {ingredient}, {ingredient} and {ingredient}?",
            "How long do I {cook_method} {meat} at {#325-450}F? {?It's about {#1-6} pounds.}",
            "What's a good substitute for {ingredient} in {dish}?",
            "my {dish} always comes out {cook_fail}. what am I doing wrong",
            "Can you scale this recipe down to {#1-3} servings: {#2-4} cups {ingredient}, {#1-3} tbsp {ingredient}, {#1-5} {ingredient}",
            "Is it safe to eat {ingredient} that's been in the fridge for {#3-12} days?",
            "Suggest a {#3-7}-day meal plan {for someone trying to eat less sugar|for a family of {#3-6} on a budget|with no dairy|for marathon training|that's mostly plant based}",
            "what wine goes with {dish}",
            "How do I make {dish} without an oven?",
        ])
        words("dish", "lasagna, chicken curry, banana bread, pad thai, shakshuka, risotto, chili, tacos al pastor, ramen, sourdough bread, pancakes, beef stew, falafel, carbonara, lentil soup, chocolate chip cookies, fried rice, paella, butter chicken, mac and cheese, pho, quiche, gazpacho, moussaka, bibimbap, pierogi, jambalaya, tiramisu, dal makhani, chicken tikka, enchiladas, miso soup, focaccia, apple pie, goulash, jollof rice, ceviche, katsu curry, minestrone, brownies, cheesecake, frittata, burrito bowls, stir fry noodles, pot roast")
        words("ingredient", "chickpeas, spinach, leftover rice, eggs, feta, sweet potatoes, ground turkey, tofu, coconut milk, canned tomatoes, zucchini, mushrooms, buttermilk, greek yogurt, cilantro, black beans, quinoa, cauliflower, salmon, shrimp, bell peppers, ricotta, lemons, garlic, ginger, heavy cream, cornstarch, brown sugar, almond flour, kale, bacon, chicken thighs, cabbage, lentils, parmesan, honey, soy sauce, miso, oats, bananas, avocado, pesto")
        words("cook_method", "roast, bake, grill, smoke, slow cook, air fry, sous vide, braise")
        words("meat", "a whole chicken, pork shoulder, a turkey breast, salmon fillets, a beef brisket, lamb chops, pork tenderloin, chicken wings, a prime rib roast, meatballs")
        words("cook_fail", "too dry, soggy, flat, too salty, bland, gummy, burnt on the bottom, raw in the middle, too dense, watery")
        // travel
        rule("travel", [
            "Plan a {#2-10}-day itinerary for {city} in {month} for {travelers}",
            "What should I pack for {activity} in {city} in {month}?",
            "Is it better to visit {city} or {city} for a {#3-7} day trip?",
            "I'm flying into {city} at {#5-11}pm, how do I get from the airport to the city center cheaply?",
            "What are some {hidden gems|must-see places|good day trips|cheap eats|kid-friendly things to do|rainy day activities} in {city}?",
            "Do I need a visa to travel from {country_name} to {country_name} for {#5-30} days?",
            "best neighborhood to stay in {city} for {travelers}",
            "Help me write a packing list for {#2-14} days of {activity}",
            "how much should I budget per day in {city}",
        ])
        words("city", "Lisbon, Tokyo, Kyoto, Mexico City, Barcelona, Seoul, Istanbul, Prague, Vienna, Buenos Aires, Cape Town, Bangkok, Hanoi, Reykjavik, Edinburgh, Dublin, Amsterdam, Copenhagen, Montreal, Vancouver, New Orleans, Chicago, Austin, Marrakech, Athens, Rome, Florence, Naples, Porto, Budapest, Krakow, Singapore, Bali, Sydney, Melbourne, Auckland, Lima, Cusco, Bogota, Oaxaca, Nashville, San Diego, Berlin, Munich, Paris, Lyon, Nice, Seville, Valencia, Osaka, Taipei, Hong Kong, Dubai, Cairo, Nairobi, Zanzibar")
        words("month", "January, February, March, April, May, June, July, August, September, October, November, December, early spring, late autumn, the holidays")
        words("travelers", "a couple, a family with two kids, a solo traveler, a group of {#3-8} friends, my parents who are in their 70s, a honeymoon, a business trip with one free day, a backpacker on a tight budget")
        words("activity", "hiking, a beach holiday, skiing, a business conference, a wedding, camping, a music festival, a road trip, a cruise, a city break")
        words("country_name", "the US, Canada, the UK, Germany, India, Brazil, Mexico, Japan, Australia, South Africa, Nigeria, France, Spain, Turkey, Vietnam, the Philippines, Indonesia, Poland, Argentina, Egypt")
        // email
        rule("email", [
            "Draft a {polite|firm|friendly|short|formal|apologetic|warm} email to my {recipient} about {email_topic}",
            "Write an email to {recipient_name} {about|regarding|to follow up on|with an update on} {email_topic}. {?Keep it under {#80-200} words.}",
            "help me reply to my {recipient} who asked about {email_topic}, I want to say no nicely",
            "Can you write a message to my {recipient} saying {email_topic}? {?Not too formal.}",
            "Write a follow-up email after {email_event}",
            "Write a cover letter for a {job_title} position at {company_kind}. I have {#1-15} years of experience in {field}.",
        ])
        words("recipient", "landlord, boss, manager, coworker, professor, kid's teacher, HOA, neighbor, doctor's office, insurance company, client, team, recruiter, contractor, airline, bank, gym")
        words("recipient_name", "Sarah, Mr. Thompson, Dr. Patel, the hiring team, Priya, Marco, Professor Kim, Jenna, Ahmed, the support team, Mrs. Okafor, Lukas")
        words("email_topic", "a leak in the bathroom ceiling, taking Friday off, a late payment, rescheduling our meeting to next week, a billing error on my last invoice, my kid missing school tomorrow, the noise after midnight, a refund for a cancelled flight, the project deadline slipping by two weeks, a raise, the broken dishwasher, switching to part-time, a missed delivery, the contract renewal, feedback on the last draft, a reference letter")
        words("email_event", "a job interview, a sales call, a networking event, a first meeting with a new client, a conference talk, a coffee chat with a mentor")
        words("job_title", "data analyst, nurse, product manager, junior developer, marketing coordinator, teacher, accountant, UX designer, mechanical engineer, customer success manager, paralegal, lab technician")
        words("company_kind", "a small startup, a hospital, a non-profit, a bank, a design agency, a university, a logistics company, a game studio, a public library")
        words("field", "retail, customer service, teaching, healthcare, sales, logistics, hospitality, research, finance, social media")
        // explain
        rule("explain", [
            "Explain {concept} like I'm {#5-12}",
            "Explain {concept} in simple terms",
            "What's the difference between {pair}?",
            "Why {phenomenon}?",
            "how does {concept} actually work",
            "Can you give me a {short|quick|detailed|one paragraph} explanation of {concept}{? with an example}",
            "I keep hearing about {concept}. What is it and why does it matter?",
            "ELI5 {concept}",
            "Is it true that {myth}?",
        ])
        words("concept", "inflation, compound interest, the stock market, vaccines, black holes, photosynthesis, blockchain, machine learning, the electoral college, quantum computing, how credit scores are calculated, mortgage points, the immune system, DNS, climate change, the Krebs cycle, supply and demand, index funds, how airplanes fly, nuclear fusion, CRISPR, the Roth IRA, how WiFi works, large language models, the placebo effect, interest rates, tariffs, plate tectonics, dark matter, the offside rule in soccer, capital gains tax, how noise cancelling headphones work, jet lag, recursion, encryption, how a bill becomes law")
        words("pair", "a Roth IRA and a traditional IRA, weather and climate, a virus and bacteria, affect and effect, RAM and storage, a psychologist and a psychiatrist, baking soda and baking powder, an LLC and a sole proprietorship, HTTP and HTTPS, stocks and bonds, a crocodile and an alligator, who and whom, 4G and 5G, a latte and a flat white, mean and median, a credit card and a debit card")
        words("phenomenon", "is the sky blue, do we get hiccups, does ice float, do cats purr, does my phone battery drain faster in the cold, do onions make you cry, is the ocean salty, do we dream, does bread go stale, do leaves change color in the fall, do airplanes leave white trails, does coffee make me sleepy sometimes, do knuckles crack, is yawning contagious")
        words("myth", "we only use 10% of our brain, cracking knuckles causes arthritis, goldfish have a three second memory, lightning never strikes the same place twice, you should wait an hour after eating to swim, sugar makes kids hyper, bulls hate the color red, you lose most of your body heat through your head")
        // code snippets (casual level)
        rule("snippet", [
            "How do I {code_task} in {language}?",
            "Write a {language} function that {func_desc}",
            "What does this error mean: {casual_error}",
            "In Excel, how do I {excel_task}?",
            "Write a Google Sheets formula to {excel_task}",
            "why does my {language} code say {casual_error}",
            "What's the regex for {regex_task}?",
            "Write a bash one-liner to {shell_task}",
        ])
        words("language", "Python, JavaScript, TypeScript, Java, C#, Go, Rust, SQL, Bash, R, Kotlin, Swift, PHP, Ruby, C++")
        words("code_task", "read a CSV file, reverse a string, sort a list of dictionaries by a key, make an HTTP request, parse JSON, remove duplicates from a list, get the current date in ISO format, read a file line by line, merge two dictionaries, check if a string is a palindrome, convert a string to a number, flatten a nested list, connect to a Postgres database, send an email, format a number with commas, count words in a text file, generate a random password")
        words("func_desc", "checks whether a number is prime, returns the n-th Fibonacci number, counts vowels in a string, converts Celsius to Fahrenheit, finds the second largest number in a list, validates an email address, calculates the average of a list ignoring None values, groups words by their first letter, returns the most common element, capitalizes every word in a sentence, computes the days between two dates")
        words("casual_error", "IndexError: list index out of range, TypeError: undefined is not a function, NullPointerException, SyntaxError: unexpected EOF while parsing, ModuleNotFoundError: No module named 'pandas', permission denied (publickey), CORS policy: No 'Access-Control-Allow-Origin' header, segmentation fault (core dumped), #VALUE!, #REF!, KeyError: 'name', Uncaught ReferenceError: $ is not defined")
        words("excel_task", "count cells that contain a specific word, highlight duplicates, look up a value from another sheet, split first and last names into two columns, sum only the visible rows, calculate the number of working days between two dates, make a dropdown list, convert text to dates, remove blank rows")
        words("regex_task", "a US phone number, an email address, a date in YYYY-MM-DD format, a hex color code, a URL, a postal code in Canada, a strong password, repeated words")
        words("shell_task", "find all files larger than 100MB, rename all .jpeg files to .jpg, count lines in all .py files, kill the process using port 8080, delete node_modules folders recursively, show disk usage by folder, find files modified in the last day")
        // homework help
        rule("homework", [
            "Can you help me understand {school_topic}? {?I have a test on {weekday}.}",
            "My {teacher|professor|tutor} explained {school_topic} but I still don't get it. Can you explain it differently?",
            "Give me {#3-10} practice questions on {school_topic} with answers",
            "Check my answer: {simple_math} = {#2-99}. Is that right?",
            "What's a good thesis statement for an essay about {essay_topic}?",
            "Summarize {book} chapter {#1-20} for me",
            "what are the main themes of {book}",
            "Help me outline a {#3-10} page paper on {essay_topic}",
        ])
        words("school_topic", "the quadratic formula, mitosis vs meiosis, the causes of World War I, supply and demand curves, Newton's second law, balancing chemical equations, the Pythagorean theorem, photosynthesis, the French Revolution, derivatives, limits, probability with dice, the water cycle, cell respiration, the Bill of Rights, literary devices, standard deviation, logarithms, ionic vs covalent bonds, the scientific method, how to cite sources in APA, past tense in Spanish")
        words("weekday", "Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday")
        rule("simple_math", ["{#2-19} x {#2-19}", "{#10-999} + {#10-999}", "{#100-999} / {#2-9}", "{#2-9}^{#2-4}", "{#12-99} - {#2-50}"])
        words("essay_topic", "social media and teenagers, renewable energy, the ethics of AI, school uniforms, remote work, the American Dream in The Great Gatsby, climate migration, universal basic income, space exploration funding, fast fashion, the four-day work week, video games and violence")
        words("book", "The Great Gatsby, To Kill a Mockingbird, 1984, Of Mice and Men, Pride and Prejudice, The Catcher in the Rye, Lord of the Flies, Frankenstein, Beloved, The Hunger Games, Animal Farm, Macbeth, Things Fall Apart, The Odyssey")
        // translation
        rule("translate", [
            "Translate \"{phrase}\" into {lang}",
            "How do you say \"{phrase}\" in {lang}?",
            "translate to {lang}: {phrase}",
            "What's the most natural way to say \"{phrase}\" in {lang}? {?Formal please.}",
            "Is \"{phrase}\" correct English?",
        ])
        words("phrase", "I'm running a bit late, where is the nearest pharmacy, thank you for your patience, could we split the bill, I'm allergic to peanuts, happy birthday to my wonderful grandmother, the meeting has been moved to Thursday, please find attached the signed contract, I would like to book a table for four, my luggage didn't arrive, can you recommend a good restaurant nearby, we look forward to working with you, sorry for the inconvenience, how much does this cost")
        words("lang", "Spanish, French, German, Japanese, Italian, Portuguese, Korean, Mandarin, Hindi, Arabic, Dutch, Turkish, Polish, Vietnamese, Tagalog, Swahili, Greek")
        // creative writing
        rule("writing", [
            "Write a {poem_form} about {subject}",
            "Give me {#5-20} name ideas for {name_target}",
            "Write a {funny|heartfelt|short|sweet} birthday message for my {relation} who loves {hobby}",
            "Write a short story {for my {#4-10} year old|for adults|with a twist ending} about {subject}",
            "Help me write a toast for my {relation}'s {wedding|retirement party|graduation|50th birthday}",
            "Write an Instagram caption for a photo of {subject}",
            "Write a product description for {product_thing}",
            "Give me a catchy slogan for {name_target}",
        ])
        words("poem_form", "haiku, limerick, sonnet, short poem, rap verse, free verse poem, nursery rhyme")
        words("subject", "my dog, the first snow, a rainy Monday, coffee, the ocean at night, a robot learning to paint, my grandmother's garden, moving to a new city, a lost sock, autumn in Vermont, a dragon who is afraid of the dark, the last day of school, a lighthouse keeper, a cat who runs a bakery")
        words("name_target", "a bakery, a fantasy football team, a podcast about true crime, a golden retriever puppy, a dog grooming business, a D&D campaign, an Etsy shop selling candles, a trivia team, a mobile game about farming, a book club, a cleaning company, a coffee cart")
        words("relation", "mom, dad, sister, brother, best friend, grandpa, grandma, wife, husband, boss, coworker, son, daughter, aunt, nephew, roommate")
        words("hobby", "gardening, golf, true crime podcasts, knitting, fishing, baking, hiking, video games, jazz, yoga, woodworking, photography, soccer, chess")
        words("product_thing", "a handmade soy candle, a bamboo cutting board, a waterproof hiking backpack, noise cancelling earbuds, an ergonomic office chair, a reusable water bottle, a kids' science kit, organic dog treats")
        // fitness / health / money / comparisons / advice
        rule("fitness", [
            "Make a {#3-12}-week {couch to 5k|strength training|marathon|weight loss|mobility|home workout} plan for a beginner",
            "How many calories should I eat to lose {#5-30} pounds? I'm {#20-65} and {#5-6}'{#0-11}\"",
            "What are some good stretches for {body_part} pain?",
            "Is it bad to work out every day?",
            "give me a {#15-45} minute workout with no equipment",
        ])
        words("body_part", "lower back, neck, knee, shoulder, hip, wrist, upper back, hamstring")
        rule("money", [
            "How should I think about {finance_topic}?",
            "I make ${#30-180}k a year, how much should I put into my 401k?",
            "Help me make a monthly budget for ${#2000-9000} take-home pay",
            "Should I pay off my ${#2-40}k student loans or invest?",
            "What's a good way to save for {a house|a wedding|retirement|my kids' college|a car} ?",
        ])
        words("finance_topic", "an emergency fund, refinancing my mortgage, index funds vs ETFs, paying off credit card debt, a high-yield savings account, renting vs buying, dollar cost averaging, stock options from my employer, filing taxes as a freelancer")
        rule("compare", [
            "Compare {product} and {product} for {use}",
            "Which is better for {use}: {product} or {product}?",
            "pros and cons of {product} for {use}",
        ])
        words("product", "an iPad, a Chromebook, a MacBook Air, a ThinkPad, a Kindle, a robot vacuum, a standing desk, an air fryer, an Instant Pot, a Peloton, a used Honda Civic, a Tesla Model 3, a Nintendo Switch, a PS5, a mirrorless camera, Notion, Obsidian, Google Docs")
        words("use", "college, a small apartment, photography, video editing, a retiree, travel, kids, working from home, note taking, a long commute")
        rule("advice", [
            "How do I {life_task}?",
            "Any tips for {life_task}?",
            "My {relation} and I keep arguing about {argument_topic}. How do I bring it up without a fight?",
            "What questions should I ask {when buying a used car|at the end of a job interview|a new pediatrician|a wedding photographer|before signing a lease}?",
        ])
        words("life_task", "get better sleep, stop procrastinating, negotiate my salary, train my puppy to stop biting, get rid of fruit flies, remove a red wine stain from carpet, unclog a drain without chemicals, keep basil alive, prepare for a job interview, make friends in a new city, start journaling, fix a squeaky door, clean a cast iron pan, learn to touch type, ask for a promotion")
        words("argument_topic", "chores, money, screen time for the kids, holidays with the in-laws, where to live, the thermostat, how often we see friends")
        rule("rewrite", [
            "Rewrite this to sound more professional: \"{casual_sentence}\"",
            "Make this more concise: {paragraph}",
            "Fix the grammar: {casual_sentence}",
            "Can you make this sound friendlier? {paragraph}",
            "Proofread this for me:\n\n{paragraph}",
            "Summarize this in {#1-3} sentences: {paragraph}",
        ])
        words("casual_sentence", "hey just checking if u got my last email, sorry this is late i had a lot going on, i think we should maybe push the launch, can u send me the stuff from yesterday, the thing broke again and idk why, we need to talk about the budget asap, thanks for nothing i guess, im not sure this is gonna work out")
        rule("paragraph", ["{sentence} {sentence} {sentence}", "{sentence} {sentence} {sentence} {sentence}", "{sentence} {sentence}", "{sentence} {sentence} {sentence} {sentence} {sentence} {sentence}"])
        rule("sentence", [
            "Our team has been working on {work_thing} for the past {#2-9} weeks and we are almost done.",
            "I wanted to let you know that {work_thing} will be delayed because of {delay_reason}.",
            "Last {weekday} I {past_activity} and it was {better|worse|more tiring|more fun} than I expected.",
            "We should consider {proposal} before the end of {month}.",
            "The results from {work_thing} show a {#2-40}% {increase|drop|change} compared to last {quarter|year|month}.",
            "Honestly I think {opinion}.",
            "Please make sure to {instruction} by {weekday}.",
            "The {meeting|workshop|call|review} went well, although {complaint}.",
            "Customers have been asking about {work_thing} more often lately.",
            "I'm not sure whether {opinion}, but it is worth discussing.",
        ])
        words("work_thing", "the new website, the quarterly report, the onboarding guide, the kitchen renovation, the grant application, the mobile app redesign, the volunteer schedule, the inventory system, the marketing campaign, the office move, the training program, the annual survey")
        words("delay_reason", "a supplier issue, staff shortages, the holiday weekend, a bug we found in testing, budget approval, the weather, a change in requirements")
        words("past_activity", "went hiking with my family, tried a new recipe, ran my first 10k, visited my grandparents, cleaned out the garage, went to a concert, started a new book")
        words("proposal", "hiring another part-time person, switching vendors, moving the meeting to mornings, cutting the budget for travel, running a small pilot first, asking customers for feedback")
        words("opinion", "we are overthinking this, the second option is cheaper in the long run, the deadline is not realistic, people will love it, we need more data, the design is too busy")
        words("instruction", "submit your timesheet, review the attached document, RSVP for the dinner, update your password, sign the form, send me your availability")
        words("complaint", "it ran long, the audio kept cutting out, not everyone had read the materials, we ran out of coffee, nobody took notes")
        rule("trivia", [
            "Who {won|lost} the {sports_event} in {#1990-2024}?",
            "How many {trivia_count} are there?",
            "What year did {historic_event}?",
            "What's the tallest {mountain|building|waterfall|tree} in {country_name}?",
        ])
        words("sports_event", "World Cup, Super Bowl, NBA finals, Wimbledon men's final, Tour de France, World Series, Champions League final, Stanley Cup")
        words("trivia_count", "bones in the human body, countries in Africa, moons of Jupiter, keys on a piano, elements in the periodic table, time zones in Russia, languages spoken in India, islands in the Philippines")
        words("historic_event", "the Berlin Wall fall, the first iPhone come out, humans land on the moon, the Titanic sink, World War II end, the printing press get invented, the first email get sent")
        rule("plan", [
            "Help me plan a {kids' birthday party|baby shower|team offsite|dinner party for {#4-12}|surprise party|garage sale|study schedule for finals|weekly chore chart}",
            "Make me a schedule for {#2-7} days to {plan_goal}",
            "Make a to-do list for {plan_goal}",
        ])
        words("plan_goal", "move apartments, deep clean the house, prepare for my driving test, finish my thesis draft, get ready for a newborn, learn basic Spanish, launch my Etsy shop")
        // Context people add around a request; it makes real prompts longer and less uniform.
        rule("casual_pre", [
            "Hi! ", "Quick question. ", "hey, ", "Hello, I need some help. ", "I'm {#16-75} and {new to this|not very techy|a total beginner|pretty busy these days}. ",
            "My {relation} asked me about this and I wasn't sure. ", "For context, {casual_context}. ", "{casual_context_cap}. ",
            "So {casual_context}, ", "I've been trying to figure this out for a while. ", "This might be a dumb question but ",
            "Okay so ", "Need help asap: ", "I have a {question|weird one|quick one} for you. ",
        ])
        rule("casual_post", [
            " Thanks!", " thanks in advance", " Please keep it simple.", " {Keep it short|Not too long|Be detailed} please.",
            " For context, {casual_context}.", " I'd like {a few options|step by step instructions|a short answer|bullet points}.",
            " Use plain language, no jargon.", " Also {casual_context}, if that matters.", " I'm in {country_name} if that matters.",
            " My budget is about ${#20-3000}.", " I only have about {#10-90} minutes.", " ty",
        ])
        words("casual_context", "I live in a small apartment, we have two kids under five, I'm on a tight budget this month, I work night shifts, I'm vegetarian, I'm recovering from a knee injury, I just moved here, English is my second language, I'm a nurse, I'm retired, I'm a college student, I run a small bakery, I have a job interview on {weekday}, my laptop is pretty old, I'm planning this for my {relation}, I don't have a car, it's for a school project, I'm trying to cut down on screen time")
        words("casual_context_cap", "I live in a small apartment, We have two kids under five, I'm on a tight budget this month, I work night shifts, I'm vegetarian, I just moved here, I'm a college student, I run a small bakery, I don't have a car, This is for a school project, I'm planning this for my {relation}")
        // follow-ups in a conversation
        rule("casual_followup", [
            "{fu_ack}{fu_core}{fu_tail}", "{fu_ack}{fu_core}{fu_tail}", "{fu_ack}{fu_core}", "{fu_core}", "{fu_core}{fu_tail}",
            "{fu_short}", "{fu_ack}also, {casual_opener}", "One more thing: {casual_opener}",
        ])
        rule("fu_ack", ["ok ", "Ok, ", "thanks, ", "Thanks! ", "hmm ", "great. ", "nice! ", "Perfect. ", "cool, ", "That helps. ", "wait, ", "Got it. ", "yes, ", "no, "])
        rule("fu_tail", ["", "", " thanks", " please", "?", " if possible", " - it's for {relation}", " because {casual_context}", " and keep it under {#50-300} words", " :)"])
        rule("fu_short", ["make it shorter", "why?", "perfect, thank you", "thanks!", "ok", "less formal", "more please", "go on", "can you make it rhyme", "hmm, are you sure about that?"])
        rule("fu_core", [
            "make it {shorter|longer|more {casual|formal|funny|concise|detailed|friendly|polite|direct}}",
            "can you make the {ordinal} {one|paragraph|option|line} more {casual|formal|specific|upbeat}",
            "what about {alt_option}", "how would I {followup_action}", "put that in a table", "put it in a table with {#2-5} columns",
            "translate that into {lang}", "give me {another option|a different version|{#2-6} more options|a simpler version}",
            "explain the {ordinal} point in more detail", "that didn't work, I got {casual_error}", "what if I don't have {ingredient}",
            "can you add {followup_add}", "now make a version for my {relation}", "can you give me sources for that",
            "redo it for {#2-10} people", "what would you change if it was {month}", "what if {fu_condition}",
            "I tried that but {fu_problem}", "what's the difference between the {ordinal} and the {ordinal} option",
            "give me {#2-10} more like the {ordinal} one", "how do I say that in {lang}", "is that still true in {#2024-2026}",
            "and for {travelers}", "how much would that cost in {city}", "how long does that take", "can you explain {concept} in that context",
            "rewrite it without {the jargon|the last sentence|the bullet points|exclamation marks|the intro}",
            "can you shorten it to {#1-5} sentences", "make it sound less like AI", "which of those would you pick and why",
            "summarize everything we discussed", "ok but what about {ingredient}", "can you be more specific about the {ordinal} step",
            "add a {title|subject line|short summary|call to action|P.S.}", "use {simpler words|British spelling|a warmer tone|second person}",
        ])
        words("ordinal", "first, second, third, last, fourth")
        words("fu_condition", "it rains, I only have an hour, I'm on a budget, my {relation} comes too, I do it on my phone, I start next {weekday}, the store is closed, I'm allergic to nuts, it's for work")
        words("fu_problem", "it still looks wrong, the formula gave me an error, nothing happened, it came out {cook_fail}, my {relation} didn't like it, it's too long for a text message, the link doesn't work")
        words("alt_option", "doing it in the morning instead, a cheaper version, a vegetarian version, going in {month}, the second one you mentioned, using {language} instead, a version without sugar, taking the train")
        words("followup_action", "do it on my phone, explain this to my kids, make it ahead of time, save it for later, share it with my team, do the same thing in Google Sheets, freeze the leftovers")
        words("followup_add", "a sentence about the deadline, an emoji or two, a P.S. thanking them, a budget column, a packing list, a short intro, the prices")
        // non-English everyday prompts, so that language alone never separates campaigns from users
        rule("casual_intl", [
            "帮我写一封邮件给{老板|房东|老师}，说明我{明天|下周一}{请假|需要晚点到}",
            "{北京|上海|成都|杭州}有什么好玩的地方？我们{#2-5}个人去{#2-4}天",
            "用简单的话解释一下{通货膨胀|区块链|光合作用|机器学习}",
            "这道题怎么做：{#2-9}x + {#1-20} = {#20-90}，请一步一步解释",
            "¿Cómo puedo {preparar una paella|mejorar mi currículum|ahorrar más dinero cada mes|aprender inglés más rápido}?",
            "Escribe un correo {formal|amable} a mi {jefe|casero|profesor} sobre {un retraso en el pago|mis vacaciones|una reunión}",
            "Wie {mache ich einen guten Sauerteig|schreibe ich eine Kündigung|plane ich eine Reise nach {Italien|Japan|Portugal}}?",
            "Kannst du mir {Inflation|Photosynthese|Zinseszins} einfach erklären?",
            "Peux-tu m'aider à écrire une lettre de motivation pour un poste de {développeur|infirmière|comptable}?",
            "Quelle est la différence entre {le passé composé et l'imparfait|un PEA et une assurance vie}?",
            "Como faço {um bolo de cenoura|para declarar imposto de renda|uma planilha de gastos}?",
            "{東京|大阪|京都}で{#2-5}日間の旅行プランを作ってください",
            "このメールをもっと丁寧にしてください：{明日の会議は遅れます|資料を送ってください}",
            "Как {приготовить борщ|написать резюме|выучить английский быстрее}?",
            "Объясни простыми словами, что такое {инфляция|ипотека|нейросеть}",
            "ما هي أفضل طريقة {لتعلم البرمجة|لتوفير المال|لتحسين النوم}؟",
            "{서울|부산}에서 {#2-4}일 여행 일정을 짜줘",
            "Napisz krótki e-mail do {szefa|nauczyciela} z prośbą o {dzień wolny|przesunięcie terminu}",
            "Bana {kısa bir özgeçmiş|doğum günü mesajı} yazar mısın?",
            "Giải thích {lãi kép|lạm phát} một cách đơn giản",
        ])
        rule("casual_intl_followup", ["{casual_intl}", "{casual_intl_fu}", "{casual_intl_fu}"])
        rule("casual_intl_fu", ["再短一点", "谢谢！还有别的吗？", "más corto, por favor", "¿y otra opción?", "kürzer bitte", "merci, et en anglais ?", "もう少し短くしてください", "спасибо, а ещё варианты?", "obrigado! e em inglês?", "더 짧게 해줘", "能不能写得更正式一点？", "用{#3-5}个要点总结一下", "¿puedes darme {#2-5} ejemplos más?", "kannst du das auf Englisch übersetzen?", "peux-tu faire plus court ?", "pode explicar o {primeiro|segundo} ponto?", "もっと詳しく説明してください", "можно подробнее про {первый|второй} пункт?", "شكرا، هل يمكنك الاختصار؟", "좀 더 자세히 설명해 줘"])
    }
}
