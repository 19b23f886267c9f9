// Explanations (SHAP): see README.md of @cairn/core.
export {};
