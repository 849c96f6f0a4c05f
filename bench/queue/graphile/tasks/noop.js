// The no-op job both queues run in the throughput measurement.
module.exports = async () => {};
