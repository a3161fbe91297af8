// IAM wildcards: `*` matches any run of characters (none included), `?` exactly one; nothing else is special.

const compiled = new Map<string, RegExp>();
const COMPILED_LIMIT = 1000;

function compile(pattern: string, ignoreCase: boolean): RegExp {
  const id = `${ignoreCase ? 'i' : 's'}${pattern}`;
  let re = compiled.get(id);
  if (!re) {
    const body = pattern.replace(/[.+^${}()|[\]\\*?]/g, (c) => (c === '*' ? '.*' : c === '?' ? '.' : `\\${c}`));
    re = new RegExp(`^${body}$`, ignoreCase ? 'is' : 's');
    if (compiled.size >= COMPILED_LIMIT) compiled.delete(compiled.keys().next().value!);
    compiled.set(id, re);
  }
  return re;
}

/** Whether `value` matches `pattern`; action names compare without case, resources and condition values with. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) return ignoreCase ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  return compile(pattern, ignoreCase).test(value);
}
