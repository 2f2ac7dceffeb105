// The GraphQL-over-HTTP conformance audit of the npm `graphql-http` package, against a running
// server: `node audit-graphql-http.mjs http://127.0.0.1:8000/graphql`. Prints one JSON line
// per audit ({id, name, status, reason}); the Python test decides what passes.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit-graphql-http.mjs URL');
  process.exit(2);
}
const results = await auditServer({ url });
for (const { id, name, status, reason } of results) {
  console.log(JSON.stringify({ id, name, status, reason: reason ?? null }));
}
