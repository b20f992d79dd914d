// Harvesting prompts. Each family has many paraphrases so that no single string marks a campaign.
extension GrammarBuilder {
    mutating func addCampaign() {
        // Chain-of-thought sweep wrappers (lb-farm, extractor). The problem text is appended in code.
        rule("cot_prefix", [
            "Solve the following problem step by step, showing all your reasoning:",
            "Solve the following problem step by step, showing all of your reasoning:",
            "Think through this carefully and write out your complete chain of thought before the final answer:",
            "Think through this carefully and write out your full chain of thought before giving the final answer.",
            "Work through the problem below. Show every intermediate step and explain why you take it.",
            "Reason step by step. Do not skip any steps, and explain each one in detail before the final answer.",
            "{Please |}solve this{ problem|}. {Write out|Show|Give} your {entire|complete|full} reasoning process{, step by step|}{, before the answer|}.",
            "Before answering, think aloud: list every consideration, check each step, then state the answer.",
            "You are an expert {tutor|professor|olympiad coach}. Explain your reasoning in exhaustive detail, step by step, then give the final answer.",
            "Show your work in full. {Number each step.|Label each step.|Justify every step.} Then give the final answer on its own line.",
        ])
        rule("cot_suffix", ["", "", "", "\n\nFinal answer format: \"Answer: <value>\"", "\n\nBe thorough.", "\n\nExplain as if to a student seeing this for the first time.", "\n\nDouble-check your reasoning before answering.", "\n\nInclude any assumptions you make."])
        rule("rubric_prefix", [
            "Grade this answer against the rubric below; for each criterion explain your reasoning in full before giving a score.",
            "Grade the answer below using the rubric. For every criterion, reason through it step by step, then assign a score out of {5|10}.",
            "You are a strict grader. Evaluate the candidate answer criterion by criterion, explaining your full reasoning for each before scoring.",
            "Assess the response against each rubric item. Write out your complete reasoning for each item, then give a total score.",
            "Score this answer with the rubric below. Think carefully about each criterion and explain your judgement in detail.",
        ])
        rule("rubric", ["Rubric:\n1. {criterion}\n2. {criterion}\n3. {criterion}", "Rubric:\n- {criterion}\n- {criterion}\n- {criterion}\n- {criterion}", "Criteria: {criterion}; {criterion}; {criterion}."])
        words("criterion", "correctness of the final answer, clarity of the explanation, use of the correct formula, justification of each step, identification of key assumptions, handling of edge cases, correct units, logical coherence, completeness, appropriate use of evidence, accurate citation of the rule, consideration of counterarguments")
        rule("draft_answer", [
            "{answer_step} {answer_step} So the answer is {#1-999}.",
            "{answer_step} {answer_step} {answer_step} Therefore the result is {#1-99}.{#0-9}.",
            "The answer is {#1-500} because {answer_reason}.",
            "First, {answer_clause}. Then {answer_clause}. Finally, {answer_clause}, giving {#1-200}.",
            "{answer_reason_cap}. Hence the correct choice is {A|B|C|D}.",
        ])
        rule("answer_step", ["We start by {answer_clause}.", "Next, {answer_clause}.", "Then {answer_clause}.", "Substituting, we get {#2-90}.", "This simplifies to {#1-9}x = {#2-90}.", "By the same argument, {answer_clause}."])
        words("answer_clause", "writing down what is given, isolating the variable, applying conservation of energy, using the definition, multiplying both sides by {#2-9}, taking the derivative, counting the favourable cases, dividing by the total, checking the boundary cases, applying the relevant rule, comparing both options")
        words("answer_reason", "the terms cancel, the rule applies directly, energy is conserved, the sample is large enough, the contract was never formed, the function is increasing, the events are independent")
        words("answer_reason_cap", "The terms cancel, The rule applies directly, Energy is conserved, The events are independent, The precedent controls, The premise is false")
        // Stealth farm: tool-use narration over ordinary agentic tasks, heavily paraphrased.
        rule("narrate_instr", [
            "Narrate each tool call you make and why, step by step",
            "Describe every tool call you make and your reason for it, step by step",
            "Walk me through each tool you call and why you chose it",
            "As you work, explain each tool invocation and the reasoning behind it",
            "Think out loud about every tool call: what you call, why, and what you expect",
            "Before each tool call, write out your reasoning; after it, explain what you learned",
            "Explain your plan, then narrate every command and file read you do and why",
            "Keep a running commentary of each action and tool use, with your reasoning for each",
            "{Please |}{narrate|describe|explain} {each|every} {tool call|action|step} {you take|you make} and {why|the reasoning behind it}{, in detail|, step by step|}",
        ])
        rule("stealth_task", [
            "fix the failing tests in {module}", "add {feature} to the {component}", "refactor {func_py} to {refactor_goal}",
            "track down why {test_name_py} is flaky", "migrate the project from {migration_ts}", "find and fix the bug where {func_ts} returns the wrong result when {edge_case}",
            "add {feature} to the {component} and write tests for it", "clean up the places where we {code_smell}", "set up CI that runs the linter and the tests",
            "investigate this error and fix it: {ts_exc}", "upgrade the dependencies and fix anything that breaks", "write a script that {shell_task}",
            "implement {feature} for {module}", "debug why {module} is slow when {slow_case}", "port {func_go} to use {retry_lib}",
            "resolve this crash: {py_exc}",
        ])
        rule("stealth_prompt", [
            "{narrate_instr}, while you {stealth_task}.",
            "{narrate_instr} while you {stealth_task}.",
            "I want you to {stealth_task}. {narrate_instr}.",
            "Task: {stealth_task}. {narrate_instr}.",
            "{stealth_task_cap}. {narrate_instr}.",
            "{narrate_instr}. The task: {stealth_task}.",
            "Please {stealth_task}{ in this repo|| for me}. {narrate_instr}{, and summarize at the end|}.",
            "{narrate_instr}. {?Be explicit about which files you read.} Goal: {stealth_task}.",
        ])
        rule("stealth_task_cap", ["Fix the failing tests in {module}", "Add {feature} to the {component}", "Refactor {func_py} to {refactor_goal}", "Track down why {test_name_py} is flaky", "Debug why {module} is slow when {slow_case}", "Implement {feature} for {module}", "Clean up the places where we {code_smell}"])
        rule("stealth_followup", ["{sf_go}{sf_instr}", "{sf_go}{sf_instr}", "Now {stealth_task}.{sf_instr}", "{sf_go} Then {stealth_task}.{sf_instr}"])
        rule("sf_go", ["Continue.", "Keep going.", "Next step.", "Go on.", "Proceed.", "ok continue", "Good, continue.", "Carry on.", "Continue with the next file.", "Now run the tests."])
        rule("sf_instr", ["", " Again, explain the reasoning before each tool call.", " {Narrate|Describe|Explain} each tool call and why.", " Keep narrating every step.",
                          " Say what you expect each command to return before running it.", " Same level of detail as before.",
                          " Explain every file you read and why you read it.", " {Think out loud|Reason step by step} before each action."])
        rule("verify", ["{verify_core}", "{verify_core} {verify_tail}"])
        rule("verify_core", ["Now verify your answer by re-deriving it step by step in a different way.", "Check each step of your reasoning above and correct any mistakes, explaining why.",
                             "Explain the same solution again, but more rigorously, justifying every step.", "List every assumption you made and re-check the reasoning with each one.",
                             "{Re-check|Verify|Double-check} {your|the} {solution|answer|reasoning} {step by step|line by line}{, explaining each check|}.",
                             "Solve it again using a different method and compare the two chains of reasoning."])
        rule("verify_tail", ["Be explicit.", "Show all work.", "Do not skip steps.", "Then state the final answer again.", "Explain any discrepancy in detail."])
        // Churn farm: laundering reasoning traces through "safe rewrites".
        rule("churn_prompt", [
            "{churn_instr}\n\nQuestion: {churn_q}\n\nAnswer:\n{draft_answer}",
            "{churn_instr}\n\n{draft_answer}",
            "Here is a model's reasoning trace for the question \"{churn_q}\":\n{draft_answer}\n\n{churn_instr}",
            "{churn_instr} Then solve it again yourself, showing each reasoning step.\n\n{churn_q}",
        ])
        rule("churn_instr", [
            "Rewrite this answer safely but keep every reasoning step.",
            "Rewrite the answer below so it is safe and policy-compliant, but keep every step of the reasoning intact.",
            "Clean up this reasoning trace: fix errors, keep each step, and expand any step that is too short.",
            "Rephrase the following solution in your own words, preserving the full chain of thought.",
            "Make this answer more careful and complete. Keep all intermediate reasoning, add any missing steps.",
            "{Rewrite|Rephrase|Polish} this {answer|solution|explanation} {without removing any reasoning steps|keeping the full step-by-step reasoning|but preserve every intermediate step}.",
        ])
        rule("churn_q", ["{prob_algebra}", "{prob_physics}", "{prob_word}", "{prob_law}", "{prob_cs}", "{prob_probability}", "{prob_chemistry}", "{prob_econ}", "{prob_ethics}", "{prob_medicine}"])
        // Polyglot farm: the same elicitation in many languages, with localised problems.
        rule("poly_zh", [
            "请一步一步详细推理，写出完整的思考过程：{zh_problem}",
            "请详细写出你的推理过程，每一步都要解释原因，最后给出答案。题目：{zh_problem}",
            "一步一步地思考下面的问题，并完整展示你的思维链：{zh_problem}",
            "作为{数学老师|物理教授|竞赛教练}，请给出完整的解题思路和每一步的推导：{zh_problem}",
        ])
        rule("zh_problem", [
            "一个水池有两个进水管，甲管{#2-9}小时注满，乙管{#3-12}小时注满，两管同时开需要多少小时？",
            "已知 {#2-9}x + {#1-30} = {#31-99}，求 x 的值。",
            "一辆汽车以每小时{#40-120}公里的速度行驶了{#2-6}小时，又以每小时{#30-90}公里行驶了{#1-4}小时，求平均速度。",
            "从{#5-12}个人中选出{#2-4}人组成委员会，有多少种选法？",
            "证明：对任意正整数 n，n^3 - n 能被 {6|3} 整除。",
            "一个质量为{#1-20}千克的物体从{#2-30}米高处自由落下，落地时的速度是多少？",
            "{prob_algebra}",
        ])
        rule("poly_ru", [
            "Решите задачу шаг за шагом, подробно объясняя каждое рассуждение: {ru_problem}",
            "Подробно опишите ход своих рассуждений, шаг за шагом, и только потом дайте ответ: {ru_problem}",
            "Рассуждай вслух и покажи полную цепочку мыслей: {ru_problem}",
        ])
        rule("ru_problem", [
            "Поезд прошёл {#100-600} км за {#2-8} часов. Какова его средняя скорость?",
            "Найдите все корни уравнения x^2 - {#2-15}x + {#1-40} = 0.",
            "Сколькими способами можно рассадить {#4-9} человек за круглым столом?",
            "Докажите, что сумма первых n нечётных чисел равна n^2.",
            "{prob_physics}",
        ])
        rule("poly_es", [
            "Resuelve el siguiente problema paso a paso, mostrando todo tu razonamiento: {es_problem}",
            "Piensa detenidamente y escribe tu cadena de razonamiento completa antes de la respuesta final: {es_problem}",
            "Explica cada paso de tu razonamiento en detalle: {es_problem}",
        ])
        rule("es_problem", [
            "Un tren recorre {#100-600} km en {#2-8} horas. ¿Cuál es su velocidad media?",
            "Si {#2-9}x - {#1-20} = {#10-80}, ¿cuánto vale x?",
            "Una tienda rebaja un {#10-50}% un artículo de {#20-300} euros. ¿Cuál es el precio final?",
            "¿Cuál es la probabilidad de sacar dos ases seguidos de una baraja de {40|52} cartas sin reemplazo?",
            "{prob_law}",
        ])
        rule("poly_ar", [
            "حل المسألة التالية خطوة بخطوة مع شرح كل خطوة من خطوات التفكير: {ar_problem}",
            "فكر بعناية واكتب سلسلة تفكيرك الكاملة قبل الإجابة النهائية: {ar_problem}",
        ])
        rule("ar_problem", [
            "إذا كان {#2-9}س + {#1-20} = {#21-90}، فما قيمة س؟",
            "قطعت سيارة {#100-500} كم في {#2-6} ساعات. ما متوسط سرعتها؟",
            "{prob_probability}",
        ])
        rule("poly_pt", [
            "Resolva o problema a seguir passo a passo, mostrando todo o seu raciocínio: {pt_problem}",
            "Pense com cuidado e escreva sua cadeia de raciocínio completa antes da resposta final: {pt_problem}",
        ])
        rule("pt_problem", ["Um carro percorre {#100-500} km em {#2-6} horas. Qual é a velocidade média?", "Se {#2-9}x + {#1-20} = {#21-90}, qual é o valor de x?", "{prob_econ}"])
        rule("poly_ja", [
            "次の問題を一歩ずつ、すべての推論過程を示しながら解いてください：{ja_problem}",
            "最終的な答えの前に、思考の過程をすべて詳しく書き出してください：{ja_problem}",
        ])
        rule("ja_problem", ["{#2-9}x + {#1-20} = {#21-90} のとき、x の値を求めよ。", "時速{#40-120}kmで{#2-5}時間走ったときの距離は？", "{prob_cs}"])
        rule("poly_ko", ["다음 문제를 단계별로 풀고, 모든 추론 과정을 자세히 설명하세요: {prob_algebra}", "최종 답을 내기 전에 생각의 과정을 모두 적어 주세요: {prob_physics}"])
        rule("poly_de", ["Löse die folgende Aufgabe Schritt für Schritt und zeige dabei deine gesamte Argumentation: {prob_word}", "Denke sorgfältig nach und schreibe deine vollständige Gedankenkette vor der endgültigen Antwort auf: {prob_stats}"])
        rule("poly_fr", ["Résous le problème suivant étape par étape en montrant tout ton raisonnement : {prob_algebra}", "Réfléchis attentivement et écris toute ta chaîne de raisonnement avant la réponse finale : {prob_law}"])
        rule("poly_id", ["Selesaikan soal berikut langkah demi langkah dan tunjukkan seluruh penalaranmu: {prob_word}"])
        rule("poly_tr", ["Aşağıdaki problemi adım adım çöz ve tüm akıl yürütmeni göster: {prob_algebra}"])
    }
}
