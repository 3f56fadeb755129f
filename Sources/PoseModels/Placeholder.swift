// Placeholder so the package builds before the PoseModels sources land on this branch; delete it then.
enum PoseModelsPlaceholder {}
