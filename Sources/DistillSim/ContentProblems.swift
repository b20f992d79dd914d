// Exam-style problems by subject: the eval bank, the classroom homework and the farms' sweeps all
// draw from the same families, so topic alone does not tell them apart.
enum Subjects {
    /// (benchmark subject id, display name, problem family rule)
    static let all: [(id: String, display: String, family: String)] = [
        ("abstract_algebra", "abstract algebra", "prob_numtheory"), ("anatomy", "anatomy", "prob_medicine"),
        ("astronomy", "astronomy", "prob_physics"), ("business_ethics", "business ethics", "prob_ethics"),
        ("clinical_knowledge", "clinical knowledge", "prob_medicine"), ("college_biology", "college biology", "prob_biology"),
        ("college_chemistry", "college chemistry", "prob_chemistry"), ("college_computer_science", "college computer science", "prob_cs"),
        ("college_mathematics", "college mathematics", "prob_calculus"), ("college_physics", "college physics", "prob_physics"),
        ("computer_security", "computer security", "prob_security"), ("conceptual_physics", "conceptual physics", "prob_physics"),
        ("econometrics", "econometrics", "prob_stats"), ("electrical_engineering", "electrical engineering", "prob_circuits"),
        ("elementary_mathematics", "elementary mathematics", "prob_word"), ("formal_logic", "formal logic", "prob_logic"),
        ("high_school_biology", "high school biology", "prob_biology"), ("high_school_chemistry", "high school chemistry", "prob_chemistry"),
        ("high_school_computer_science", "high school computer science", "prob_cs"), ("high_school_european_history", "high school European history", "prob_history"),
        ("high_school_geography", "high school geography", "prob_geography"), ("high_school_macroeconomics", "high school macroeconomics", "prob_econ"),
        ("high_school_mathematics", "high school mathematics", "prob_algebra"), ("high_school_microeconomics", "high school microeconomics", "prob_econ"),
        ("high_school_physics", "high school physics", "prob_physics"), ("high_school_psychology", "high school psychology", "prob_psych"),
        ("high_school_statistics", "high school statistics", "prob_stats"), ("high_school_us_history", "high school US history", "prob_history"),
        ("high_school_world_history", "high school world history", "prob_history"), ("international_law", "international law", "prob_law"),
        ("jurisprudence", "jurisprudence", "prob_law"), ("logical_fallacies", "logical fallacies", "prob_logic"),
        ("machine_learning", "machine learning", "prob_ml"), ("medical_genetics", "medical genetics", "prob_biology"),
        ("moral_scenarios", "moral scenarios", "prob_ethics"), ("nutrition", "nutrition", "prob_medicine"),
        ("philosophy", "philosophy", "prob_ethics"), ("professional_law", "professional law", "prob_law"),
        ("competition_math", "competition mathematics", "prob_numtheory"), ("grade_school_math", "grade school math", "prob_word"),
        ("probability", "probability", "prob_probability"), ("code_generation", "code generation", "prob_code"),
    ]
    static let families = ["prob_algebra", "prob_calculus", "prob_numtheory", "prob_word", "prob_probability", "prob_stats",
                           "prob_physics", "prob_circuits", "prob_chemistry", "prob_biology", "prob_medicine", "prob_history",
                           "prob_geography", "prob_law", "prob_econ", "prob_psych", "prob_logic", "prob_ethics", "prob_cs",
                           "prob_code", "prob_ml", "prob_security"]
    static let numericFamilies: Set<String> = ["prob_algebra", "prob_calculus", "prob_numtheory", "prob_word", "prob_probability",
                                               "prob_stats", "prob_physics", "prob_circuits", "prob_chemistry"]
}

extension GrammarBuilder {
    mutating func addProblems() {
        rule("prob_algebra", [
            "Find all real x such that {#1-9}x^2 {+|-} {#1-30}x {+|-} {#1-50} = 0.",
            "Solve the system {#1-9}x + {#1-9}y = {#1-60} and {#1-9}x - {#1-9}y = {#1-30}.",
            "Simplify ({#2-9}x^{#2-5}y^{#1-4})^{#2-3} / ({#2-9}xy^{#1-3}).",
            "For what values of k does the equation x^2 + kx + {#1-40} = 0 have two distinct real roots?",
            "The sum of two numbers is {#20-200} and their difference is {#2-40}. What is their product?",
            "If f(x) = {#2-9}x + {#1-20} and g(x) = x^2 - {#1-9}, find f(g({#1-6})) - g(f({#1-6})).",
            "Find the equation of the line through ({#0-9}, {#1-9}) and ({#1-12}, {#5-20}).",
            "A rectangle's length is {#2-9} more than twice its width and its area is {#40-400}. Find its dimensions.",
        ])
        rule("prob_calculus", [
            "Compute the derivative of f(x) = {#2-9}x^{#2-6} sin({#2-5}x).",
            "Evaluate the integral of x^{#1-5} e^({#1-4}x) dx from 0 to {#1-3}.",
            "Find the limit as x approaches 0 of (sin({#2-9}x) - {#2-9}x) / x^3.",
            "Find the local extrema of f(x) = x^3 - {#2-30}x^2 + {#10-90}x - {#1-20}.",
            "Determine whether the series sum of n^{#1-3} / {#2-5}^n converges, and justify your answer.",
            "Find the area enclosed between y = x^2 and y = {#2-9}x.",
            "Solve the differential equation y' = {#2-9}y + {#1-9} with y(0) = {#0-5}.",
            "A ladder {#5-20} m long slides down a wall at {#1-3} m/s. How fast is the top moving when the bottom is {#2-9} m from the wall?",
        ])
        rule("prob_numtheory", [
            "What is the remainder when {#2-9}^{#20-200} is divided by {#5-13}?",
            "How many positive divisors does {#100-5000} have?",
            "Find the smallest positive integer n such that {#2-9}n ≡ {#1-9} (mod {#11-31}).",
            "Let G be a group of order {#12-120}. What are the possible orders of its Sylow subgroups?",
            "Find the number of ordered pairs of positive integers (a, b) with a + b = {#20-300} and gcd(a, b) = {#1-5}.",
            "Is the polynomial x^{#2-5} + {#1-9}x + {#1-9} irreducible over Z_{#2-7}? Explain.",
            "Find the last two digits of {#3-19}^{#100-999}.",
            "How many integers between 1 and {#100-2000} are divisible by {#2-9} or {#10-19} but not both?",
        ])
        rule("prob_word", [
            "{person} has {#12-90} {objects}. {She|He} gives {#1-4} to each of {her|his} {#2-6} friends and then buys {#5-40} more. How many {objects} does {person} have now?",
            "A train travels {#40-180} km in {#1-4} hours and then {#30-200} km in {#1-3} hours. What is its average speed for the whole trip?",
            "A store sells {objects} at ${#2-20} each, with a {#5-40}% discount on orders over {#10-50} units. How much do {#11-90} {objects} cost?",
            "{person} reads {#10-60} pages a day. The book has {#200-900} pages and {she|he} has already read {#20-150}. How many more days will it take?",
            "A recipe needs {#2-5} cups of flour for {#10-24} cookies. How much flour is needed for {#30-120} cookies?",
            "{person} earns ${#12-45} an hour and works {#15-45} hours a week. After {#10-30}% tax, how much does {she|he} take home in {#2-8} weeks?",
            "A tank holds {#100-900} liters and leaks {#2-15} liters per hour while being filled at {#10-40} liters per hour. How long until it is full?",
            "There are {#20-40} students in a class. {#30-70}% of them play a sport and half of those also play an instrument. How many play both?",
        ])
        words("person", "Janet, Tom, Aisha, Carlos, Mei, Olu, Priya, Sam, Lena, Diego, Hana, Marcus, Fatima, Ivan")
        words("objects", "apples, stickers, marbles, pencils, cupcakes, trading cards, books, seashells, eggs, tickets, notebooks, plants")
        rule("prob_probability", [
            "A bag contains {#3-12} red and {#3-12} blue marbles. Two are drawn without replacement. What is the probability that both are red?",
            "Two fair dice are rolled. What is the probability that the sum is {#2-12} given that at least one die shows a {#1-6}?",
            "A test for a disease is {#90-99}% sensitive and {#85-99}% specific. The prevalence is {#1-10}%. If a person tests positive, what is the probability they have the disease?",
            "A coin is flipped {#5-20} times. What is the probability of getting exactly {#2-10} heads?",
            "Customers arrive at a rate of {#2-20} per hour. What is the probability that no customer arrives in a {#5-30}-minute window?",
            "In a group of {#20-60} people, what is the probability that at least two share a birthday?",
            "You roll a fair die until you get a {#1-6}. What is the expected number of rolls?",
        ])
        rule("prob_stats", [
            "A sample of {#20-400} has mean {#10-90} and standard deviation {#2-15}. Construct a 95% confidence interval for the population mean.",
            "The mean of {#5-12} numbers is {#10-90}. If the number {#5-99} is removed, what is the new mean?",
            "A regression of y on x gives slope {#1-9}.{#0-9} with standard error {#0-2}.{#1-9}. Is the slope significant at the 5% level?",
            "Exam scores are normally distributed with mean {#60-80} and standard deviation {#5-12}. What percentage of students score above {#75-95}?",
            "Explain why we divide by n - 1 instead of n when computing the sample variance of {#5-50} observations.",
            "A survey of {#100-2000} voters finds {#40-60}% support a measure. What is the margin of error at 95% confidence?",
            "In an OLS model with {#2-6} regressors and {#50-500} observations, the R-squared is 0.{#10-90}. Compute the adjusted R-squared.",
            "Test whether the difference between means {#40-60} and {#42-65} (n = {#20-60} each, sd = {#5-15}) is significant.",
        ])
        rule("prob_physics", [
            "A {#1-20} kg block slides down a frictionless incline of {#10-60} degrees from a height of {#1-15} m. What is its speed at the bottom?",
            "A projectile is launched at {#10-80} m/s at {#15-75} degrees above the horizontal. How far does it travel before landing?",
            "Two charges of {#1-9} μC and -{#1-9} μC are {#1-50} cm apart. Find the magnitude of the force between them.",
            "A {#50-2000} W heater runs for {#1-8} hours a day for {#7-31} days. How much energy does it use in kWh?",
            "A satellite orbits {#300-36000} km above Earth's surface. What is its orbital period?",
            "A spring with constant {#50-900} N/m is compressed {#2-30} cm and launches a {#1-9}00 g ball. What is the ball's speed?",
            "Light of wavelength {#400-700} nm passes through two slits {#1-9}0 μm apart onto a screen {#1-3} m away. Find the fringe spacing.",
            "Why does a star with {#2-40} solar masses end its life differently from the Sun?",
            "A car accelerates from rest at {#1-6} m/s^2 for {#3-15} s. How far does it travel?",
        ])
        rule("prob_circuits", [
            "Three resistors of {#10-90}, {#10-90} and {#100-470} ohms are connected in parallel across a {#5-24} V source. Find the total current.",
            "An RC circuit has R = {#1-100} kΩ and C = {#1-100} μF. How long does the capacitor take to reach {#50-95}% of the supply voltage?",
            "A transformer has {#100-2000} primary turns and {#20-400} secondary turns. If the primary voltage is {#110-240} V, what is the secondary voltage?",
            "Find the resonant frequency of an LC circuit with L = {#1-50} mH and C = {#1-100} nF.",
            "Design a voltage divider that produces {#1-5}.{#0-9} V from a {#6-12} V supply with less than {#1-5} mA of current.",
        ])
        rule("prob_chemistry", [
            "How many grams of {compound} are needed to make {#100-2000} mL of a {#1-3}.{#0-9} M solution?",
            "Balance the equation: {reaction}",
            "What is the pH of a {#1-9}.0 x 10^-{#2-6} M solution of {acid}?",
            "Calculate the enthalpy change when {#2-50} g of {compound} dissolves, given ΔH = -{#10-90} kJ/mol.",
            "Predict the major product when {organic} reacts with {reagent}, and explain the mechanism.",
            "A gas occupies {#1-20} L at {#200-400} K and {#1-5} atm. What volume does it occupy at STP?",
            "Determine the empirical formula of a compound that is {#20-70}% carbon, {#2-12}% hydrogen and the rest oxygen.",
        ])
        words("compound", "NaCl, KMnO4, glucose, CuSO4, NaOH, CaCO3, ammonium nitrate, acetic acid, potassium chloride, magnesium sulfate")
        words("reaction", "Fe + O2 -> Fe2O3, C3H8 + O2 -> CO2 + H2O, Al + HCl -> AlCl3 + H2, KClO3 -> KCl + O2, NH3 + O2 -> NO + H2O, C6H12O6 + O2 -> CO2 + H2O")
        words("acid", "HCl, acetic acid, HNO3, formic acid, H2SO4, benzoic acid")
        words("organic", "2-bromobutane, cyclohexene, benzaldehyde, propanoic acid, tert-butyl chloride, acetophenone")
        words("reagent", "NaOH in ethanol, HBr, LiAlH4, KMnO4 under acidic conditions, ethanol with sulfuric acid, a Grignard reagent")
        rule("prob_biology", [
            "Which of the following best describes the role of {bio_thing} in {bio_process}?",
            "In a cross between two plants heterozygous for {trait}, what fraction of the offspring will show the recessive phenotype?",
            "Explain how a mutation in {gene} could lead to {disease}.",
            "A population of {#100-10000} is in Hardy-Weinberg equilibrium and {#1-30}% show the recessive trait. How many are heterozygous?",
            "Compare {bio_process} in plants and animals.",
            "What would happen to {bio_process} if {bio_thing} were inhibited?",
        ])
        words("bio_thing", "ATP synthase, mRNA, the Golgi apparatus, ribosomes, chlorophyll, helicase, the sodium-potassium pump, insulin, tRNA, mitochondria, lysosomes, DNA polymerase")
        words("bio_process", "cellular respiration, protein synthesis, DNA replication, photosynthesis, mitosis, the immune response, nerve signal transmission, meiosis, glycolysis")
        words("trait", "flower color, seed shape, plant height, pod color, leaf texture")
        words("gene", "BRCA1, CFTR, the HBB gene, TP53, the LDL receptor gene, FMR1, HTT")
        words("disease", "cystic fibrosis, sickle cell anemia, breast cancer, familial hypercholesterolemia, Huntington's disease, fragile X syndrome")
        rule("prob_medicine", [
            "A {#20-80}-year-old {man|woman} presents with {symptom} and {symptom} for {#2-14} days. {Labs show|Examination reveals} {finding}. What is the most likely diagnosis?",
            "What is the first-line treatment for {condition} in an adult without comorbidities?",
            "Which nerve is most likely injured if a patient cannot {motion} after a {injury}?",
            "How many grams of protein per kilogram of body weight does an athlete training {#5-20} hours a week need, and why?",
            "Which vitamin deficiency causes {deficiency_sign}, and what foods prevent it?",
        ])
        words("symptom", "fever, fatigue, a productive cough, chest pain, shortness of breath, joint pain, a rash, headache, abdominal pain, weight loss, night sweats, palpitations")
        words("finding", "an elevated white count, a low hemoglobin, ST elevation, a high TSH, proteinuria, bilateral infiltrates on chest x-ray, an elevated ALT")
        words("condition", "hypertension, type 2 diabetes, community-acquired pneumonia, migraine, major depressive disorder, asthma, gout")
        words("motion", "extend the wrist, abduct the arm, dorsiflex the foot, flex the elbow, oppose the thumb")
        words("injury", "humeral shaft fracture, fibular neck fracture, shoulder dislocation, deep cut to the forearm")
        words("deficiency_sign", "night blindness, bleeding gums, a swollen tongue, neural tube defects, bone pain and weakness, peripheral neuropathy")
        rule("prob_history", [
            "Which of the following best explains the impact of {hist_event} on {region}?",
            "Compare the causes of {hist_event} and {hist_event}.",
            "Evaluate the extent to which {hist_event} changed {hist_aspect} in {region}.",
            "Analyze the primary reasons for {hist_event} and its long-term consequences.",
            "How did {hist_figure} influence {hist_aspect} during {hist_period}?",
        ])
        words("hist_event", "the French Revolution, the Industrial Revolution, the Treaty of Versailles, the Protestant Reformation, the Cold War, the fall of the Roman Empire, the Meiji Restoration, the Great Depression, the Civil Rights Movement, decolonization in Africa, the Congress of Vienna, the Black Death, the Reconstruction era, the Partition of India, the New Deal")
        words("region", "Western Europe, East Asia, Latin America, the United States, sub-Saharan Africa, the Ottoman Empire, South Asia, the Mediterranean world, Eastern Europe")
        words("hist_aspect", "social hierarchies, trade patterns, the role of women, religious institutions, state power, labor conditions, national identity")
        words("hist_figure", "Napoleon, Bismarck, Martin Luther, Catherine the Great, Gandhi, Franklin Roosevelt, Simon Bolivar, Queen Victoria, Mao Zedong")
        words("hist_period", "the 19th century, the interwar years, the early modern period, the Enlightenment, the 1960s")
        rule("prob_geography", [
            "Which factor best explains the population distribution of {region}?",
            "Explain why {city} developed where it did.",
            "How does the {monsoon|jet stream|Gulf Stream|rain shadow effect} influence agriculture in {region}?",
            "Describe the demographic transition model and where {country_name} fits in it today.",
        ])
        rule("prob_law", [
            "Under {doctrine}, a {party} who {law_action} is most likely {liable|not liable|entitled to damages|barred from recovery}. Explain.",
            "{person} contracted with {person} to {contract_thing} for ${#1-90},000. {person} {breach}. What remedies are available?",
            "Does a state violate {intl_rule} if it {state_action}? Discuss with reference to customary international law.",
            "Is a confession obtained {confession_case} admissible? Explain the controlling rule.",
            "Distinguish between legal positivism and natural law theory in the context of {jurisprudence_case}.",
        ])
        words("doctrine", "the doctrine of promissory estoppel, strict liability, the rule against perpetuities, the parol evidence rule, comparative negligence, the mailbox rule, respondeat superior, adverse possession")
        words("party", "landowner, employer, minor, seller, tenant, trespasser, manufacturer, bailee")
        words("law_action", "fails to repair a known hazard, revokes an offer after partial performance, sells goods with a latent defect, occupies land openly for {#5-25} years, relies on an oral promise")
        words("contract_thing", "paint a house, deliver {#100-900} widgets, build a website, supply catering for a wedding, renovate a kitchen")
        words("breach", "abandoned the work halfway through, delivered late, delivered nonconforming goods, refused to pay the final installment, repudiated the contract before performance")
        words("intl_rule", "the prohibition on the use of force, the principle of non-refoulement, sovereign immunity, the law of the sea")
        words("state_action", "seizes a foreign-flagged vessel in its exclusive economic zone, expels a diplomat without notice, returns asylum seekers to a conflict zone, nationalizes foreign-owned oil fields")
        words("confession_case", "after the suspect asked for a lawyer, during a traffic stop without warnings, from a minor without a parent present, after {#8-20} hours of questioning")
        words("jurisprudence_case", "unjust laws, judicial review, civil disobedience, the Nuremberg trials")
        rule("prob_econ", [
            "If the price elasticity of demand for {good} is {#0-3}.{#1-9}, what happens to total revenue when the price rises by {#5-30}%?",
            "Explain how an increase in {macro_var} affects {macro_var} in the short run.",
            "A monopolist faces demand P = {#50-200} - {#1-5}Q and marginal cost {#5-40}. Find the profit-maximizing output and price.",
            "If the reserve requirement is {#5-20}% and the central bank buys ${#1-50} million of bonds, what is the maximum change in the money supply?",
            "Explain the effect of a price ceiling on {good} set below the equilibrium price.",
            "Why might a country with a comparative advantage in {good} still import it?",
        ])
        words("good", "gasoline, rental housing, coffee, insulin, concert tickets, wheat, smartphones, cigarettes, electricity")
        words("macro_var", "interest rates, government spending, the money supply, taxes, net exports, consumer confidence, unemployment, inflation, investment")
        rule("prob_psych", [
            "Which concept best explains why {psych_case}?",
            "Design an experiment to test whether {psych_hypothesis}. Identify the independent and dependent variables.",
            "Compare classical and operant conditioning using the example of {conditioning_case}.",
        ])
        words("psych_case", "people remember the first and last items on a list best, students who expect to do well often do, witnesses misremember details after leading questions, people conform to a group's wrong answer, a child cries less after being comforted consistently")
        words("psych_hypothesis", "sleep deprivation impairs memory, music improves concentration, social media use increases anxiety, rewards reduce intrinsic motivation")
        words("conditioning_case", "a dog that salivates at a bell, a student who studies to earn praise, a child afraid of the dentist, a gambler at a slot machine")
        rule("prob_logic", [
            "If all {plural_a} are {plural_b} and some {plural_b} are not {plural_c}, which conclusion necessarily follows?",
            "Translate into predicate logic: \"Every {noun_s} that {logic_verb} some {noun_s} is {logic_adj}.\"",
            "Identify the fallacy: \"{fallacy_arg}\"",
            "Construct a truth table for (P → Q) ∧ (¬Q ∨ R) → (P → R) and determine whether it is a tautology.",
            "Is the argument valid? Premise 1: If {logic_p}, then {logic_q}. Premise 2: {logic_q}. Conclusion: {logic_p}.",
        ])
        words("plural_a", "philosophers, engineers, cats, poets, doctors, squares")
        words("plural_b", "thinkers, problem solvers, mammals, writers, scientists, rectangles")
        words("plural_c", "logicians, patient, pets, novelists, surgeons, rhombuses")
        words("noun_s", "student, dog, judge, farmer, robot, musician")
        words("logic_verb", "admires, chases, trusts, teaches, follows")
        words("logic_adj", "happy, tired, wise, admired, careful")
        words("fallacy_arg", "Everyone I know loves this movie\\, so it must be good., If we allow students to redo one test\\, soon they'll want to redo every test., You can't trust his argument about taxes because he's rich., Either you support this policy or you hate the economy., This supplement is natural\\, so it must be safe.")
        words("logic_p", "it rains, the alarm is armed, the store is open, the program terminates")
        words("logic_q", "the streets are wet, the light is red, the sign is lit, the output is printed")
        rule("prob_ethics", [
            "Is it morally permissible to {ethics_case}? Consider {ethics_theory}.",
            "A company discovers that {business_case}. What should its leadership do, and why?",
            "For the following scenario, does the main character do something clearly morally wrong? Scenario: I {moral_scenario}.",
            "Explain {philosophy_idea} and give the strongest objection to it.",
        ])
        words("ethics_case", "lie to protect a friend's feelings, break a promise to prevent a greater harm, divert a runaway trolley to kill one instead of five, eat meat from factory farms, use an AI to write a eulogy")
        words("ethics_theory", "utilitarianism, Kantian deontology, virtue ethics, contractualism, care ethics")
        words("business_case", "its best-selling product has a minor safety defect, a supplier uses child labor, a manager falsified sales numbers, layoffs will be announced after executives sell stock")
        words("moral_scenario", "took the last slice of cake without asking, returned the extra change the cashier gave me, read my sister's diary, told my boss a coworker's idea was mine, helped an elderly neighbor carry groceries")
        words("philosophy_idea", "Descartes' cogito, the veil of ignorance, Hume's problem of induction, the Chinese room argument, Plato's allegory of the cave, the ship of Theseus")
        rule("prob_cs", [
            "What is the time complexity of {algo}? Justify your answer.",
            "Given an array of {#5-100000} integers, {algo_task}. Describe an efficient algorithm and analyze it.",
            "Explain the difference between {cs_pair} and when you would use each.",
            "Trace the execution of {algo} on the input [{#1-9}, {#1-9}, {#1-9}, {#1-9}, {#1-9}, {#1-9}].",
            "Prove that {cs_claim}.",
        ])
        words("algo", "quicksort on an already sorted array, Dijkstra's algorithm with a binary heap, building a heap from an unsorted array, binary search on a rotated array, merge sort, breadth-first search on an adjacency list, insertion sort")
        words("algo_task", "find the longest increasing subsequence, find two numbers that sum to a target, count inversions, find the k-th largest element, find the maximum subarray sum, detect whether any element appears more than n/3 times")
        words("cs_pair", "a process and a thread, TCP and UDP, a stack and a queue, an abstract class and an interface, optimistic and pessimistic locking, a hash table and a binary search tree")
        words("cs_claim", "every comparison sort needs Ω(n log n) comparisons in the worst case, the halting problem is undecidable, a graph is bipartite iff it has no odd cycle, BFS finds shortest paths in unweighted graphs")
        rule("prob_code", [
            "Write a Python function `{py_fn}` that {code_spec}. Include a few test cases.",
            "Implement `{py_fn}` in {language} so that it {code_spec}.",
            "Complete the function below.\n\ndef {py_fn}(xs):\n    \"\"\"Return {code_doc}.\"\"\"",
        ])
        words("py_fn", "longest_palindrome, merge_intervals, is_valid_sudoku, rotate_matrix, count_islands, lru_cache, parse_roman, top_k_frequent, word_break, min_coins, flatten_dict, balanced_brackets")
        words("code_spec", "returns the longest palindromic substring, merges overlapping intervals, checks whether a 9x9 sudoku board is valid, rotates an n x n matrix by 90 degrees in place, counts islands in a grid of 0s and 1s, converts a Roman numeral to an integer, returns the k most frequent words, returns the minimum number of coins for an amount")
        words("code_doc", "the sum of the even elements, the list without duplicates in original order, the index of the first negative number or -1, the second smallest distinct value, the running maximum of xs")
        rule("prob_ml", [
            "Why does {ml_thing} help reduce overfitting? Explain with the bias-variance tradeoff.",
            "A classifier has {#70-99}% accuracy on a dataset where {#80-99}% of examples are negative. Is it a good model? What metrics would you use?",
            "Derive the gradient of the {cross-entropy|mean squared error|hinge} loss with respect to the weights of a {linear|logistic} model.",
            "Explain how {ml_algo} works and when it fails.",
            "How many parameters does a fully connected layer with {#64-1024} inputs and {#16-512} outputs have?",
        ])
        words("ml_thing", "dropout, L2 regularization, early stopping, data augmentation, batch normalization, bagging")
        words("ml_algo", "k-means, gradient boosting, a support vector machine, attention in transformers, principal component analysis, a random forest")
        rule("prob_security", [
            "Explain how {attack} works and how to mitigate it.",
            "A web application {vuln_case}. What vulnerability is this and what is the fix?",
            "Compare {sec_pair} in terms of security guarantees.",
        ])
        words("attack", "a SQL injection attack, cross-site request forgery, a buffer overflow, a replay attack, DNS cache poisoning, a timing side channel")
        words("vuln_case", "builds a shell command from a filename the user uploads, stores passwords with unsalted MD5, reflects a search query into the page without escaping, uses sequential ids for password reset tokens")
        words("sec_pair", "symmetric and asymmetric encryption, hashing and encryption, TLS 1.2 and TLS 1.3, MACs and digital signatures")
        // Answer options for multiple-choice formatting.
        rule("mc_option_num", ["{#1-99}", "{#1-999}", "{#1-9}.{#0-9}{#0-9}", "{#1-9}/{#2-12}", "-{#1-40}", "{#10-400}"])
        rule("mc_option_text", [
            "It increases the rate of the process", "It has no significant effect", "It reverses the direction of the process",
            "Only the first statement is true", "Only the second statement is true", "Both statements are true", "Neither statement is true",
            "Economic factors", "Religious conflict", "Political centralization", "Technological change", "Liable", "Not liable",
            "Wrong, Not wrong", "Not wrong, Wrong", "Wrong, Wrong", "Not wrong, Not wrong", "The defendant prevails", "The plaintiff prevails",
            "Valid", "Invalid", "A tautology", "A contradiction", "O(n)", "O(n log n)", "O(n^2)", "O(log n)",
        ])
    }
}
