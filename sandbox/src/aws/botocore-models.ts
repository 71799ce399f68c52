// One botocore loader for the whole project: scripts/vendor-aws-models.mjs (which vendors the
// simulators' models) also finds and reads the full models the apply checks need.
import { botocoreData, loadServiceModel } from '../../../scripts/vendor-aws-models.mjs';
import type { BotocoreModel } from './recorded-requests.js';

/** botocore's data directory: BOTOCORE_DATA, or the installed botocore's (moto depends on it). */
export function botocoreDataDir(): string {
  const data = botocoreData();
  if (!data) throw new Error('botocore was not found: install it (pip install botocore; moto depends on it) or set BOTOCORE_DATA.');
  return data.dir;
}

const models = new Map<string, BotocoreModel>();

/** The full service-2.json of a botocore service (its newest API version), read once. */
export function botocoreModel(service: string, dataDir = botocoreDataDir()): BotocoreModel {
  let model = models.get(service);
  if (!model) {
    model = loadServiceModel(dataDir, service) as BotocoreModel;
    models.set(service, model);
  }
  return model;
}
