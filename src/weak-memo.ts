/**
 * A function of one object, computed once per object and kept while that object lives. A 2026
 * request (and a stateless 2025 one) gets a server of its own; what it derives from the same
 * installation, grant or logger is built once this way instead of once per request.
 */
export function weakMemo<K extends object, V>(build: (key: K) => V): (key: K) => V {
  const known = new WeakMap<K, V>();
  return (key) => {
    let value = known.get(key);
    if (value === undefined) {
      value = build(key);
      known.set(key, value);
    }
    return value;
  };
}
