// Placeholder so the package builds before the PoseEval sources land on this branch; delete it then.
enum PoseEvalPlaceholder {}
