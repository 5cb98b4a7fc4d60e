import { parse as parseYaml } from 'yaml';

/** Deeper than any setting or trip plan nests; the yaml parser recurses per level. */
export const MAX_YAML_NESTING = 64;

/**
 * Rough nesting depth of a YAML (or JSON) text, measured without parsing:
 * open flow brackets, and per line its indentation plus its compact `- `
 * entries. Over-counts brackets inside quoted strings, which no real
 * configuration or plan has 64 of.
 */
export function yamlNesting(text: string): number {
  let flow = 0;
  let max = 0;
  let lineStart = true;
  let block = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      lineStart = true;
      block = 0;
      continue;
    }
    if (c === 91 || c === 123)
      max = Math.max(max, ++flow); // [ {
    else if (c === 93 || c === 125) flow = Math.max(0, flow - 1);
    if (lineStart) {
      if (c === 32)
        block += 0.5; // two spaces of indentation per level
      else if (c === 45 && (text.charCodeAt(i + 1) === 32 || i + 1 === text.length))
        block += 1; // "- "
      else if (c !== 9) lineStart = false;
      max = Math.max(max, Math.floor(block));
    }
  }
  return max;
}

/**
 * YAML parse that refuses very deep nesting before the parser sees it: the
 * yaml library recurses per level, and near the stack limit V8 can fail
 * hard (a fatal out-of-memory in its regular expression compiler) instead of
 * throwing, which would take the whole process down on one bad file.
 */
export function parseYamlBounded(text: string): unknown {
  const depth = yamlNesting(text);
  if (depth > MAX_YAML_NESTING) throw new Error(`nested ${depth} levels deep, more than the ${MAX_YAML_NESTING} allowed`);
  return parseYaml(text);
}
