import type { CodegenConfig } from '@graphql-codegen/cli'

// Typed documents for every contract operation the console sends (schema/operations/).
const config: CodegenConfig = {
  schema: '../schema/schema.graphql',
  documents: ['../schema/operations/*.graphql'],
  generates: {
    'src/generated/graphql.ts': {
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        enumsAsTypes: true,
        useTypeImports: true,
        scalars: { DateTime: 'string', Upload: 'File', JSON: 'unknown' },
      },
    },
  },
}
export default config
