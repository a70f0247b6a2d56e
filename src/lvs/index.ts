// Public surface of the pure LVS domain logic (no I/O anywhere under src/lvs).
export * from "./directors.js";
export * from "./keepalived/guard.js";
export * from "./keepalived/model.js";
export * from "./keepalived/render.js";
export * from "./loop/analyze.js";
export * from "./loop/match.js";
export * from "./loop/model.js";
export * from "./marks/allocate.js";
export * from "./marks/chain.js";
export * from "./marks/diff.js";
export * from "./marks/firewalld.js";
export * from "./marks/parse.js";
export * from "./marks/persist.js";
export * from "./marks/rule-info.js";
export * from "./marks/tokens.js";
