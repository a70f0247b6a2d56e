// Public entry point for `{{ var }}` templating: rendering (template-render.ts)
// and the before-anything-runs check over a whole playbook (template-check.ts).
export { findTemplateProblems, templateVarsFor, validateTemplateRefs } from "./template-check.js";
export {
  collectRefs,
  lookupVariable,
  renderArgs,
  TemplateError,
  type TemplateRef,
} from "./template-render.js";
