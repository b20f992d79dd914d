// How students paraphrase the week's homework when they paste it in.
extension GrammarBuilder {
    mutating func addClass() {
        rule("hw_pre", ["", "", "Can you help me with this problem? ", "how do i solve this: ", "Explain step by step: ",
                        "My homework question is: ", "I'm stuck on this one - ", "hw question: ", "I don't understand how to do this. ",
                        "Please help: ", "Question {#1-6} on the problem set: ", "we did this in class today but I'm lost. ",
                        "how would you approach this? ", "Can you walk me through this? "])
        rule("hw_post", ["", "", "", " Please explain step by step.", " Can you explain step by step?", " I got {#2-99} but I'm not sure.",
                         " I don't need the answer, just the method.", " explain like I'm new to this", " Show the steps.",
                         " what formula do I use?", " Is there a shortcut?", " Our professor wants us to show work."])
        // Students who want the whole solution written out, as many do the night before it is due.
        rule("hw_worked", [" Write out the full worked solution.", " Please give the complete solution with every step.",
                           " Solve it fully and show all working.", " I need the full solution, every step, for my notes.",
                           " Full worked solution please", " Can you do the whole thing step by step with explanations?"])
        rule("hw_followup", ["explain step by step", "why do we do that in the second step?", "can you check my work? I got {#2-99}",
                             "what formula is that", "can you give me a similar problem to practice", "I still don't get it",
                             "thanks!", "wait why is it not {#2-99}?", "how would this be different if the numbers were bigger",
                             "can you explain it more simply", "is this going to be on the exam do you think", "ok that makes sense now"])
        rule("hw_next", ["ok now the next one: ", "next question: ", "what about this one: ", "and this: ", ""])
    }
}

enum Content {
    static let grammar: Grammar = {
        var b = GrammarBuilder()
        b.addCasual()
        b.addDev()
        b.addProblems()
        b.addBusiness()
        b.addCampaign()
        b.addClass()
        return b.build()
    }()
}
