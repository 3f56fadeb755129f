// Placeholder so the package builds before the NN sources land on this branch; delete it then.
enum NNPlaceholder {}
