using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace Backprop.Kernels;

/// <summary>
/// The fork-join pool under the parallel kernels (GEMM, optimizer updates, gathers), built like a good OpenMP
/// runtime for a machine it may share:
/// <list type="bullet">
/// <item>Each <see cref="Run"/> is a fresh <see cref="Job"/> object; its parts are <em>claimed</em> from the job's own
/// counter, so every part runs exactly once, a late worker can never run a part of a newer job, and the caller keeps
/// claiming parts itself: when the cores are busy and a worker is not scheduled, the caller does its share instead of
/// waiting for it (no collapse when threads outnumber free cores).</item>
/// <item>Only the workers a job needs are woken, each through its own mailbox.</item>
/// <item>Idle workers and the waiting caller spin for a short, bounded time (<see cref="SpinMicroseconds"/>, yielding
/// the core to other runnable threads), then block on a monitor (a futex on Linux), so back-to-back products in a
/// training step start without a wake-up but an idle pool burns no CPU.</item>
/// <item>Contention from outside: when a worker that was spinning claims no part of a job the caller spent
/// <see cref="ContendedJobMicroseconds"/> or more on, three times in a row, another process holds the cores; the next
/// <see cref="InlineMilliseconds"/> ms of jobs then run on the caller alone (no hand-off, no spinning worker taking a
/// core from the other process), after which the workers are tried again.</item>
/// <item>An exception in any part is caught, the remaining parts still finish, and the caller rethrows it (several
/// become one <see cref="AggregateException"/>); the pool stays usable.</item>
/// </list>
/// One job runs at a time; a caller that finds the pool busy, or a part that calls <see cref="Run"/> again, runs
/// every part itself.
/// </summary>
internal static partial class WorkerPool
{
    /// <summary>How long an idle worker, or the caller waiting for the last parts, spins before blocking.</summary>
    internal const int SpinMicroseconds = 50;

    /// <summary>
    /// Contention: a job of at least this long in which a worker that was awake (spinning) when the job was posted
    /// claimed no part means the worker was not on a core — another process holds the cores.
    /// </summary>
    internal const int ContendedJobMicroseconds = 30;

    /// <summary>Consecutive contended jobs after which jobs run on the caller alone for <see cref="InlineMilliseconds"/>.</summary>
    internal const int ContendedJobsToInline = 3;

    /// <summary>How long jobs run on the caller alone once contention is seen; the next job after it probes the workers again.</summary>
    internal const int InlineMilliseconds = 20;

    private static readonly long ContendedTicks = Stopwatch.Frequency * ContendedJobMicroseconds / 1_000_000;
    private static readonly long InlineTicks = Stopwatch.Frequency * InlineMilliseconds / 1000;
    private static long inlineUntil;
    private static int contendedJobs;

    /// <summary>Jobs handed to workers, and hand-offs that had to wake a parked worker (probes: a wake is the costly kind).</summary>
    internal static long PostedJobs, WakePosts;

    /// <summary>Jobs run on the caller alone so far because the cores were contended (tests, probes).</summary>
    internal static long InlinedJobs;

    private static readonly long SpinTicks = Math.Max(1, Stopwatch.Frequency * SpinMicroseconds / 1_000_000);
    private static readonly object Gate = new();
    private static readonly List<Worker> Workers = [];
    private static volatile Worker[] workerArray = []; // the same workers, readable without the lock
    private static readonly object CallerSignal = new();
    private static int callerSleeping;
    [ThreadStatic] private static bool insidePart;

    /// <summary>True on a thread running a part of a job (where a nested <see cref="Run"/> runs inline).</summary>
    internal static bool InsidePart => insidePart;

    /// <summary>
    /// Measurement switch (<c>BACKPROP_POOL=dotnet</c>): run jobs through .NET's <see cref="Parallel.For(int, int, Action{int})"/>
    /// instead, for the A/B comparison in docs/PERFORMANCE.md.
    /// </summary>
    internal static readonly bool UseDotnetParallelFor = Environment.GetEnvironmentVariable("BACKPROP_POOL") == "dotnet";

    /// <summary>Measurement switch (<c>BACKPROP_POOL_INLINE=0</c>): never move jobs to the caller on contention, for the A/B in docs/PERFORMANCE.md.</summary>
    internal static readonly bool ContentionInlining = Environment.GetEnvironmentVariable("BACKPROP_POOL_INLINE") != "0";

    /// <summary>Number of worker threads started so far (tests).</summary>
    internal static int WorkerCount { get { lock (Workers) return Workers.Count; } }

    /// <summary>Runs <paramref name="body"/>(0 … count−1), on the calling thread and up to count−1 workers; returns when all are done.</summary>
    /// <remarks>Optimised at once, like the GEMM: a product is over in microseconds, long before tiering would promote it.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int count, Action<int> body)
    {
        if (Backprop.Backends.BackendGuard.Inside && count > 1) body = Backprop.Backends.BackendGuard.Carry(body); // the checked test device
        if (UseDotnetParallelFor && count > 1)
        {
            Parallel.For(0, count, body);
            return;
        }
        if (count <= 1 || insidePart || !Monitor.TryEnter(Gate))
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        Job job;
        try
        {
            long start = Stopwatch.GetTimestamp();
            job = new Job(body, count);
            if (start < Volatile.Read(ref inlineUntil))
            {
                Interlocked.Increment(ref InlinedJobs);
                job.Work(); // every part on the caller, failures gathered as when the workers help
            }
            else
            {
                int helpers = count - 1;
                EnsureWorkers(helpers);
                bool anyAwake = false;
                PostedJobs++;
                job.PostedAt = start;
                for (int w = 0; w < helpers; w++) { bool awake = Workers[w].Post(job); anyAwake |= awake; if (!awake) WakePosts++; }
                int mine = job.Work();
                long callerDone = Stopwatch.GetTimestamp();
                WaitForParts(job);
                JudgeContention(anyAwake && mine == count && callerDone - start >= ContendedTicks, mine < count, callerDone);
            }
        }
        finally { Monitor.Exit(Gate); }
        job.ThrowIfFailed();
    }

    /// <summary>
    /// Runs <paramref name="body"/>(start, count) over [0, <paramref name="length"/>) split into up to
    /// <see cref="Threading.MaxKernelThreads"/> contiguous ranges of at least <paramref name="minRange"/> elements, each
    /// starting at a multiple of 64 (for elementwise passes such as optimizer updates); parked workers are woken only
    /// for as many ranges as the pass pays for (<see cref="ThreadsForWake"/>).
    /// </summary>
    public static void For(int length, int minRange, Action<int, int> body)
    {
        int count = ThreadsForWake(Math.Min(Threading.MaxKernelThreads, length / Math.Max(1, minRange)), length, WakeWorthElementsPerThread);
        if (count <= 1)
        {
            body(0, length);
            return;
        }
        Run(count, part =>
        {
            int start = Boundary(length, part, count), end = Boundary(length, part + 1, count);
            if (end > start) body(start, end - start);
        });
    }

    /// <summary>
    /// After a job: <paramref name="contended"/> (an awake worker claimed nothing of a long job) counts towards running
    /// the next jobs on the caller alone — two processes that each fork onto every core then stop stealing each
    /// other's cores — and a job a worker helped with resets the count. Called under the gate.
    /// </summary>
    private static void JudgeContention(bool contended, bool helped, long now)
    {
        if (helped || !ContentionInlining) contendedJobs = 0;
        else if (contended && ++contendedJobs >= ContendedJobsToInline)
        {
            contendedJobs = 0;
            Volatile.Write(ref inlineUntil, now + InlineTicks);
        }
    }

    private static int Boundary(int length, int part, int count) =>
        part == count ? length : Math.Min(length, (int)((long)length * part / count) & ~63);

    private static void EnsureWorkers(int needed)
    {
        lock (Workers)
        {
            while (Workers.Count < needed) Workers.Add(new Worker(Workers.Count + 1));
            if (workerArray.Length != Workers.Count) workerArray = [.. Workers];
        }
    }

    /// <summary>The caller's wait for parts that workers claimed and are still running: a short spin, then a block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WaitForParts(Job job)
    {
        if (job.IsDone) return;
        long until = Stopwatch.GetTimestamp() + SpinTicks;
        for (int spins = 0; !job.IsDone; spins++)
        {
            if (Stopwatch.GetTimestamp() > until)
            {
                // Dekker-style hand-shake with Job.Finish: either the finishing worker sees callerSleeping = 1 and
                // pulses, or we see the job done before waiting (both sides use full fences).
                Interlocked.Exchange(ref callerSleeping, 1);
                lock (CallerSignal)
                    while (!job.IsDone) Monitor.Wait(CallerSignal);
                Volatile.Write(ref callerSleeping, 0);
                return;
            }
            Pause(spins);
        }
    }

    /// <summary>One step of a spin loop: a CPU pause, and every few steps a yield so a thread waiting for this core runs.</summary>
    private static void Pause(int spins)
    {
        if ((spins & 7) == 7) Thread.Yield();
        else Thread.SpinWait(16);
    }

    /// <summary>One fork-join job: its body, its part counter and its completion count.</summary>
    private sealed class Job(Action<int> body, int parts)
    {
        /// <summary>When the caller began handing the job out (a woken worker measures its wake-up from it).</summary>
        public long PostedAt;

        private readonly int count = parts;
        private int next, remaining = parts;
        private Exception? first;
        private List<Exception>? more;

        public bool IsDone => Volatile.Read(ref remaining) == 0;

        /// <summary>Claims and runs parts until none is left; returns how many this thread ran.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public int Work()
        {
            int part, ran = 0;
            while ((part = Interlocked.Increment(ref next) - 1) < count)
            {
                ran++;
                bool wasInside = insidePart;
                insidePart = true;
                try { body(part); }
                catch (Exception e) { Record(e); }
                finally { insidePart = wasInside; }
                if (Interlocked.Decrement(ref remaining) == 0 && Volatile.Read(ref callerSleeping) == 1)
                    lock (CallerSignal) Monitor.PulseAll(CallerSignal);
            }
            return ran;
        }

        private void Record(Exception e)
        {
            lock (this)
            {
                if (first is null) first = e;
                else (more ??= [first]).Add(e);
            }
        }

        public void ThrowIfFailed()
        {
            if (more is not null) throw new AggregateException("parallel kernel: several parts failed", more);
            if (first is not null) ExceptionDispatchInfo.Capture(first).Throw();
        }
    }

    /// <summary>A background thread with a one-job mailbox.</summary>
    private sealed class Worker
    {
        private Job? mailbox;
        private int sleeping = 1; // until its thread runs: a worker still starting is not awake (contention judging)

        public Worker(int index)
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = $"Backprop worker {index}" };
            thread.Start();
        }

        /// <summary>Whether the worker is parked (blocked, or its thread not started yet): a job handed to it waits for a wake-up.</summary>
        public bool Parked => Volatile.Read(ref sleeping) == 1;

        /// <summary>Hands a job to this worker and wakes it if it is blocked; returns whether it was awake (spinning or working).</summary>
        public bool Post(Job job)
        {
            Interlocked.Exchange(ref mailbox, job);
            if (Volatile.Read(ref sleeping) == 0) return true;
            lock (this) Monitor.Pulse(this);
            return false;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Loop()
        {
            Volatile.Write(ref sleeping, 0);
            while (true)
            {
                var job = Take();
                job.Work();
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private Job Take()
        {
            long until = Stopwatch.GetTimestamp() + SpinTicks;
            for (int spins = 0; ; spins++)
            {
                var job = Interlocked.Exchange(ref mailbox, null);
                if (job is not null) return job;
                if (Stopwatch.GetTimestamp() > until) break;
                Pause(spins);
            }
            lock (this)
            {
                Interlocked.Exchange(ref sleeping, 1);
                Job? job;
                bool waited = false;
                while ((job = Interlocked.Exchange(ref mailbox, null)) is null) waited = Monitor.Wait(this);
                Volatile.Write(ref sleeping, 0);
                if (waited && job.PostedAt != 0) RecordWake(Stopwatch.GetTimestamp() - job.PostedAt); // a real wake-up only
                return job;
            }
        }
    }
}
