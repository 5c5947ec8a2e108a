// Generates the typed API client (src/api/generated.ts) from the gateway's
// OpenAPI description, proto/openapi/gongjian.swagger.json, which
// `make generate` makes from the protos: a changed proto changes the
// client, and a page that no longer fits fails the type check.
import { generateApi } from 'swagger-typescript-api';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
await generateApi({
  input: path.resolve(here, '../../../proto/openapi/gongjian.swagger.json'),
  output: path.resolve(here, '../src/api'),
  fileName: 'generated.ts',
  httpClientType: 'fetch',
  enumStyle: 'union',
  unwrapResponseData: false,
  sortTypes: true,
  sortRoutes: true,
  silent: true,
  hooks: {
    // AIP custom methods (`/v1/transfers/{id}:release`) end in a verb the
    // generator would take for a path parameter (`:release`): keep it as
    // the literal it is.
    onBuildRoutePath: (r) => {
      const verbs = r.pathParams.filter((p) => p.$match.startsWith(':'));
      if (!verbs.length) return r;
      let route = r.route;
      for (const p of verbs) route = route.replace('${' + p.name + '}', p.$match);
      return { ...r, route, pathParams: r.pathParams.filter((p) => !p.$match.startsWith(':')) };
    },
  },
});
