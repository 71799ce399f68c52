import type { Deps } from '../domain/ports.js';
import { onTaskStateChange, type TaskStateDetail } from '../domain/task-state.js';

/** ECS Task State Change events for this cluster (default bus). */
export async function taskState(detail: TaskStateDetail, deps: Deps): Promise<void> {
  await onTaskStateChange(detail, deps);
}
