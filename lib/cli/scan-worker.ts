/**
 * A worker thread of `nsgwatch scan` (lib/cli/scan-threads.ts): reads the inputs the scan reads,
 * builds the same evaluation, runs the rules it is given and posts their runs back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { errorMessage } from '../nsg/index.js';
import { prepareEvaluation } from '../rules/index.js';
import { createHeapKeeper } from './heap.js';
import { readScanInputs } from './scan.js';
import type { ThreadJob, ThreadReply } from './scan-threads.js';

async function answer(job: ThreadJob): Promise<ThreadReply> {
  try {
    const { policies, serviceTags, estate } = await readScanInputs(
      { files: job.files, subscriptions: [], format: 'json', policies: job.policies, serviceTags: job.serviceTags },
      job.cwd,
      () => undefined,
      undefined,
    );
    const evaluation = prepareEvaluation(estate, { ...(serviceTags ? { serviceTags } : {}), settings: job.settings, policies });
    const heap = createHeapKeeper();
    return {
      ok: true,
      runs: job.rules.map((index) => {
        heap.step();
        return { index, run: evaluation.run(index) };
      }),
    };
  } catch (error) {
    return { ok: false, error: errorMessage(error) };
  }
}

parentPort?.postMessage(await answer(workerData as ThreadJob));
