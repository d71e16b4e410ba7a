"""The written part of the grade: questions and rubrics, hand grades, the roster, the late policy and the final
grade, as the outputs and ``grader review`` show them and ``grader scores`` moves them in and out."""
