// graphile-worker configured as its own perfTest configures it (perfTest/graphile.config.js):
// 24 concurrent jobs, a pool of 25, a local queue of 500, no completion batching delay.
const CONCURRENCY = Number(process.env.GW_CONCURRENCY || 24);
module.exports = {
  worker: {
    connectionString: process.env.DATABASE_URL,
    concurrentJobs: CONCURRENCY,
    maxPoolSize: CONCURRENCY + 1,
    localQueue: { size: 500, refetchDelay: { durationMs: 10 } },
    completeJobBatchDelay: 0,
    failJobBatchDelay: 0,
    gracefulShutdownAbortTimeout: 2500,
  },
};
