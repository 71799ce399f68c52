import { createHash } from 'node:crypto';
import { ACCOUNT_ID, AwsError, requireString, type JsonService } from './protocol.js';

/** Amazon ECR, as far as the control plane reads it: DescribeImages by tag. Images appear when pushed. */
export class EcrSimulator {
  private readonly repositories = new Map<string, Map<string, { digest: string; pushedAt: number }>>();

  createRepository(name: string): void {
    if (!this.repositories.has(name)) this.repositories.set(name, new Map());
  }

  /** What `docker push <repo>:<tag>` does. */
  push(repository: string, tag: string): void {
    this.createRepository(repository);
    this.repositories.get(repository)!.set(tag, { digest: `sha256:${createHash('sha256').update(`${repository}:${tag}:${Date.now()}`).digest('hex')}`, pushedAt: Date.now() / 1000 });
  }

  has(repository: string, tag: string): boolean {
    return this.repositories.get(repository)?.has(tag) ?? false;
  }

  service(): JsonService {
    return {
      targetPrefix: 'AmazonEC2ContainerRegistry_V20150921',
      operations: {
        DescribeImages: (input) => {
          const name = requireString(input, 'repositoryName', 'InvalidParameterException');
          const images = this.repositories.get(name);
          if (!images) throw new AwsError('RepositoryNotFoundException', `The repository with name '${name}' does not exist in the registry with id '${ACCOUNT_ID}'`);
          const wanted = (input.imageIds as Array<{ imageTag?: string }> | undefined)?.map((i) => i.imageTag ?? '');
          for (const tag of wanted ?? []) {
            if (!images.has(tag)) throw new AwsError('ImageNotFoundException', `The image with imageId {imageDigest:'null', imageTag:'${tag}'} does not exist within the repository with name '${name}' in the registry with id '${ACCOUNT_ID}'`);
          }
          const tags = wanted ?? [...images.keys()];
          return {
            imageDetails: tags.map((tag) => ({
              registryId: ACCOUNT_ID,
              repositoryName: name,
              imageDigest: images.get(tag)!.digest,
              imageTags: [tag],
              imagePushedAt: images.get(tag)!.pushedAt,
              imageSizeInBytes: 412_000_000,
              imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
            })),
          };
        },
      },
    };
  }
}
