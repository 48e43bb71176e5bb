/**
 * RED._ with a memory: nodes set a status on every message, and i18next's lookup (language
 * rules, interpolation) showed in the end-to-end profile at ~5% of the hub's time. The runtime's
 * language does not change while it runs, so each text is translated once.
 */
const MAX = 500;

export function cachedTranslator(RED: { _(key: string, substitutions?: Record<string, unknown>): string }): (key: string, params?: Record<string, string | number>) => string {
  const cache = new Map<string, string>();
  return (key, params) => {
    const id = params ? `${key}\u0000${JSON.stringify(params)}` : key;
    let text = cache.get(id);
    if (text === undefined) {
      text = RED._(key, params);
      // Counts in the parameters make the set open-ended: start over rather than grow.
      if (cache.size >= MAX) cache.clear();
      cache.set(id, text);
    }
    return text;
  };
}
