-- Jobs that run alone (issue 12): a worker process that runs out of memory (the kernel's OOM
-- killer under its cgroup cap, or an allocation refused under RLIMIT_AS) cannot say which of
-- its jobs used the memory. None of them pays an attempt: each goes back to pending marked
-- run_alone, and is claimed only by a worker that runs nothing else, which claims nothing else
-- while it runs. Only a run_alone job that runs out of memory again, alone, pays.
ALTER TABLE jobs ADD COLUMN run_alone boolean NOT NULL DEFAULT false;

-- The claim looks for a due run_alone job on every claim of an idle worker: this index is
-- empty but for the few such jobs, so that costs one probe, and the main poll index is untouched.
CREATE INDEX jobs_run_alone ON jobs (priority DESC, run_at, created_at) WHERE status = 'pending' AND run_alone;
