import { AwsError, requireString, type JsonService } from './protocol.js';

interface Parameter {
  name: string;
  type: 'String' | 'StringList' | 'SecureString';
  value: string;
  version: number;
  lastModified: number;
}

/** SSM Parameter Store: Put/Get/GetParameters/Delete, SecureString decrypted only on request. */
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
          if (value.length > 8192) throw new AwsError('ParameterMaxVersionLimitExceeded', 'Value exceeds 8 KB (standard tier)');
          const existing = this.parameters.get(name);
          if (existing && input.Overwrite !== true) throw new AwsError('ParameterAlreadyExists', `The parameter already exists. To overwrite this value, set the overwrite option in the request to true.`);
          const type = (input.Type as Parameter['type']) ?? existing?.type ?? 'String';
          if (!['String', 'StringList', 'SecureString'].includes(type)) throw new AwsError('ValidationException', `invalid Type ${type}`);
          const version = (existing?.version ?? 0) + 1;
          this.parameters.set(name, { name, type, value, version, lastModified: Date.now() / 1000 });
          return { Version: version, Tier: 'Standard' };
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
        DeleteParameter: (input) => {
          const name = requireString(input, 'Name', 'ValidationException');
          this.find(name);
          this.parameters.delete(name);
          return {};
        },
      },
    };
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
      Value: p.type === 'SecureString' && !decrypt ? Buffer.from(`kms-encrypted:${p.version}`).toString('base64') : p.value,
      Version: p.version,
      LastModifiedDate: p.lastModified,
      ARN: `arn:aws:ssm:${this.region}:000000000000:parameter/${p.name.replace(/^\//, '')}`,
      DataType: 'text',
    };
  }
}
