// The action a request is, for policies: "<resource>:<verb>", with the container or exec
// it targets. A route not listed is "other:other" (only "*" allows it).

export interface Action {
  name: string;
  /** A container reference from the path (ID, name or prefix), when the route has one. */
  container?: string;
  /** An exec ID from the path. */
  exec?: string;
}

type Rule = [method: string | string[], path: RegExp, action: string | ((q: URLSearchParams) => string)];

const ID = '([^/]+)';
const RULES: Rule[] = [
  ['GET', /^\/_ping$/, 'system:ping'],
  ['HEAD', /^\/_ping$/, 'system:ping'],
  ['GET', /^\/(version|info|events|system\/df)$/, 'system:read'],
  ['POST', /^\/auth$/, 'system:auth'],
  // containers
  ['GET', /^\/containers\/json$/, 'container:read'],
  ['POST', /^\/containers\/create$/, 'container:create'],
  ['POST', /^\/containers\/prune$/, 'container:remove'],
  [['GET', 'HEAD'], new RegExp(`^/containers/${ID}/(json|logs|top|stats|changes|export|archive)$`), 'container:read'],
  ['POST', new RegExp(`^/containers/${ID}/wait$`), 'container:read'],
  ['POST', new RegExp(`^/containers/${ID}/start$`), 'container:start'],
  ['POST', new RegExp(`^/containers/${ID}/(stop|kill|restart|pause|unpause)$`), 'container:stop'],
  ['POST', new RegExp(`^/containers/${ID}/(update|rename|resize)$`), 'container:update'],
  [['POST', 'GET'], new RegExp(`^/containers/${ID}/(attach|attach/ws)$`), 'container:attach'],
  ['POST', new RegExp(`^/containers/${ID}/exec$`), 'container:exec'],
  ['PUT', new RegExp(`^/containers/${ID}/archive$`), 'container:copy'],
  ['DELETE', new RegExp(`^/containers/${ID}$`), 'container:remove'],
  ['POST', /^\/commit$/, 'container:commit'],
  ['POST', new RegExp(`^/exec/${ID}/(start|resize)$`), 'container:exec'],
  ['GET', new RegExp(`^/exec/${ID}/json$`), 'container:exec'],
  // images
  ['GET', /^\/images\/(json|search|get)$/, 'image:read'],
  ['GET', /^\/images\/.+\/(json|history|get)$/, 'image:read'],
  ['GET', /^\/distribution\/.+\/json$/, 'image:read'],
  ['POST', /^\/images\/create$/, (q) => (q.get('fromSrc') !== null ? 'image:import' : 'image:pull')],
  ['POST', /^\/images\/load$/, 'image:import'],
  ['POST', /^\/images\/prune$/, 'image:remove'],
  ['POST', /^\/images\/.+\/push$/, 'image:push'],
  ['POST', /^\/images\/.+\/tag$/, 'image:tag'],
  ['DELETE', /^\/images\/.+$/, 'image:remove'],
  [['POST'], /^\/build(\/context|\/prune|\/cancel)?$/, 'image:build'],
  // networks and volumes
  ['GET', /^\/networks(\/[^/]+)?$/, 'network:read'],
  ['POST', /^\/networks\/create$/, 'network:create'],
  ['POST', /^\/networks\/prune$/, 'network:remove'],
  ['POST', /^\/networks\/[^/]+\/(connect|disconnect)$/, 'network:connect'],
  ['DELETE', /^\/networks\/[^/]+$/, 'network:remove'],
  ['GET', /^\/volumes(\/[^/]+)?$/, 'volume:read'],
  ['POST', /^\/volumes\/create$/, 'volume:create'],
  ['POST', /^\/volumes\/prune$/, 'volume:remove'],
  ['DELETE', /^\/volumes\/[^/]+$/, 'volume:remove'],
];

export function actionOf(method: string, path: string, query: URLSearchParams): Action {
  for (const [m, re, a] of RULES) {
    if (!(Array.isArray(m) ? m.includes(method) : m === method)) continue;
    const hit = re.exec(path);
    if (!hit) continue;
    const name = typeof a === 'function' ? a(query) : a;
    const out: Action = { name };
    if (path.startsWith('/containers/') && hit[1] && !['json', 'create', 'prune'].includes(hit[1]))
      out.container = decode(hit[1]);
    if (path.startsWith('/exec/')) out.exec = decode(hit[1]);
    if (path === '/commit' && query.get('container')) out.container = query.get('container')!;
    return out;
  }
  return { name: 'other:other' };
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** "*", "container:*" or an exact action name. */
export function actionMatches(pattern: string, action: string): boolean {
  if (pattern === '*' || pattern === action) return true;
  return pattern.endsWith(':*') && action.startsWith(pattern.slice(0, -1));
}
