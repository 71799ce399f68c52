import { AwsError, requireString, type JsonService } from './protocol.js';

interface Parameter {
  name: string;
  type: 'String' | 'StringList' | 'SecureString';
  value: string;
  version: number;
  lastModified: number;
  tier: 'Standard' | 'Advanced';
  /** SecureString only: the KMS key it is encrypted with. */
  keyId?: string;
}

/** Parameter Store's value limits per tier (the Advanced tier holds up to 8 KB). */
const STANDARD_MAX = 4096;
const ADVANCED_MAX = 8192;
/** The account's AWS managed key for SSM, used when a SecureString names no key. */
export const AWS_MANAGED_SSM_KEY = 'alias/aws/ssm';

/**
 * SSM Parameter Store: Put/Get/GetParameters/GetParametersByPath/Delete/DeleteParameters,
 * SecureString decrypted only on request, standard/advanced/intelligent tiering by size.
 */
export class SsmSimulator {
  readonly parameters = new Map<string, Parameter>();

  constructor(private readonly region: string) {}

  service(): JsonService {
    return {
      targetPrefix: 'AmazonSSM',
      operations: {
        PutParameter: (input) => {
          const name = requireString(input, 'Name', 'ValidationException');
          const value = input.Value;
          if (typeof value !== 'string') throw new AwsError('ValidationException', 'Value is required');
          const existing = this.parameters.get(name);
          if (existing && input.Overwrite !== true) throw new AwsError('ParameterAlreadyExists', `The parameter already exists. To overwrite this value, set the overwrite option in the request to true.`);
          const type = (input.Type as Parameter['type']) ?? existing?.type ?? 'String';
          if (!['String', 'StringList', 'SecureString'].includes(type)) throw new AwsError('ValidationException', `invalid Type ${type}`);
          if (input.KeyId !== undefined && type !== 'SecureString') throw new AwsError('ValidationException', 'KeyId is required for SecureString type parameter only.');
          const tier = this.tierFor(input.Tier as string | undefined, value, existing);
          const version = (existing?.version ?? 0) + 1;
          const keyId = type === 'SecureString' ? ((input.KeyId as string | undefined) ?? existing?.keyId ?? AWS_MANAGED_SSM_KEY) : undefined;
          this.parameters.set(name, { name, type, value, version, lastModified: Date.now() / 1000, tier, keyId });
          return { Version: version, Tier: tier };
        },
        GetParameter: (input) => {
          const name = requireString(input, 'Name', 'ValidationException');
          return { Parameter: this.describe(this.find(name), input.WithDecryption === true) };
        },
        GetParameters: (input) => {
          const names = (input.Names as string[]) ?? [];
          const found = names.filter((n) => this.parameters.has(n));
          return {
            Parameters: found.map((n) => this.describe(this.parameters.get(n)!, input.WithDecryption === true)),
            InvalidParameters: names.filter((n) => !this.parameters.has(n)),
          };
        },
        GetParametersByPath: (input) => {
          const path = requireString(input, 'Path', 'ValidationException');
          if (!path.startsWith('/')) throw new AwsError('ValidationException', 'The parameter path must begin with a forward slash (/).');
          const prefix = path.endsWith('/') ? path : `${path}/`;
          const recursive = input.Recursive === true;
          const max = (input.MaxResults as number | undefined) ?? 10;
          const matching = [...this.parameters.values()]
            .filter((p) => p.name.startsWith(prefix) && (recursive || !p.name.slice(prefix.length).includes('/')))
            .sort((a, b) => a.name.localeCompare(b.name));
          const start = input.NextToken === undefined ? 0 : Number(input.NextToken);
          if (!Number.isInteger(start) || start < 0) throw new AwsError('InvalidNextToken', 'The specified token is not valid.');
          const page = matching.slice(start, start + max);
          const next = start + max < matching.length ? String(start + max) : undefined;
          return { Parameters: page.map((p) => this.describe(p, input.WithDecryption === true)), ...(next ? { NextToken: next } : {}) };
        },
        DeleteParameter: (input) => {
          const name = requireString(input, 'Name', 'ValidationException');
          this.find(name);
          this.parameters.delete(name);
          return {};
        },
        DeleteParameters: (input) => {
          const names = (input.Names as string[]) ?? [];
          const deleted = names.filter((n) => this.parameters.delete(n));
          return { DeletedParameters: deleted, InvalidParameters: names.filter((n) => !deleted.includes(n)) };
        },
      },
    };
  }

  /** The parameters whose name starts with `prefix` (a test looks for leftovers). */
  under(prefix: string): Parameter[] {
    return [...this.parameters.values()].filter((p) => p.name.startsWith(prefix));
  }

  /** Standard holds 4 KB, Advanced 8 KB; Intelligent-Tiering picks Standard when the value fits; no parameter goes back to Standard. */
  private tierFor(requested: string | undefined, value: string, existing: Parameter | undefined): Parameter['tier'] {
    if (value.length > ADVANCED_MAX) throw new AwsError('ValidationException', `Parameter value must be ${ADVANCED_MAX} characters or less (advanced tier).`);
    const wanted = requested === 'Intelligent-Tiering' ? (value.length > STANDARD_MAX ? 'Advanced' : 'Standard') : ((requested as Parameter['tier'] | undefined) ?? 'Standard');
    if (wanted === 'Standard' && existing?.tier === 'Advanced') {
      if (requested === 'Intelligent-Tiering') return 'Advanced';
      throw new AwsError('ValidationException', 'This parameter uses the advanced-parameter tier. You can\'t downgrade a parameter from the advanced-parameter tier to the standard-parameter tier.');
    }
    if (wanted === 'Standard' && value.length > STANDARD_MAX) {
      throw new AwsError('ValidationException', `Standard tier parameters support a maximum parameter value of ${STANDARD_MAX} characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier.`);
    }
    return wanted;
  }

  private find(name: string): Parameter {
    const parameter = this.parameters.get(name);
    if (!parameter) throw new AwsError('ParameterNotFound', `Parameter ${name} not found.`);
    return parameter;
  }

  private describe(p: Parameter, decrypt: boolean) {
    return {
      Name: p.name,
      Type: p.type,
      // Without decryption AWS returns the ciphertext of a SecureString, never the secret.
      Value: p.type === 'SecureString' && !decrypt ? Buffer.from(`kms-encrypted:${p.keyId}:${p.version}`).toString('base64') : p.value,
      Version: p.version,
      LastModifiedDate: p.lastModified,
      ARN: `arn:aws:ssm:${this.region}:000000000000:parameter/${p.name.replace(/^\//, '')}`,
      DataType: 'text',
    };
  }
}
