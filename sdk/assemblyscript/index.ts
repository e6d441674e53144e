// The package entry asc resolves for `import … from "wasmap"` (node_modules/wasmap/index.ts).
export * from "./assembly/index";
