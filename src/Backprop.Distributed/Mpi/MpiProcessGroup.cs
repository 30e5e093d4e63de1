using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Backprop.Distributed;

/// <summary>
/// The process group of all ranks of an MPI job (<c>MPI_COMM_WORLD</c>): <c>dist.init_process_group(backend="mpi")</c>.
/// Start the program with <c>mpirun -np N</c> (or <c>srun --mpi=pmix</c>); the rank and world size come from MPI.
/// All MPI calls run on one dedicated thread, which initialises MPI and then runs the collectives one at a time in the
/// order they were issued, polling each (non-blocking MPI calls) so that a collective another rank never joins ends in a
/// <see cref="DistributedException"/> after <see cref="Timeout"/> instead of a silent hang; compute threads meanwhile go
/// on, which is how <c>DistributedDataParallel</c> overlaps communication with backward. MPI errors are returned
/// (<c>MPI_ERRORS_RETURN</c>) and thrown naming the call. MPI allows one initialisation per process, so there is at most
/// one group; dispose it (<c>dist.destroy_process_group()</c>, <c>MPI_Finalize</c>) when done. With one rank the
/// collectives return at once without calling MPI (their results are the rank's own values).
/// </summary>
public sealed unsafe class MpiProcessGroup : IProcessGroup
{
    private static MpiProcessGroup? current;
    private static bool finalized;
    private static readonly Lock initGate = new();

    private readonly BlockingCollection<Job> queue = new();
    private readonly Thread thread;
    private MpiHandles handles = null!;
    private volatile int abortCode = -1;
    private volatile string? broken;
    private volatile bool disposed;

    /// <summary>
    /// Initialises MPI (<c>MPI_Init_thread</c>) and returns the group of all ranks. <paramref name="threadLevel"/> is the
    /// thread support asked of MPI (Backprop itself needs only <see cref="ThreadLevel.Funneled"/>); a collective not
    /// finished after <paramref name="timeout"/> (default 30 minutes, as in PyTorch) throws. With
    /// <paramref name="abortOnUnhandledException"/> an exception nobody catches prints its message with this rank's number
    /// and aborts the whole job (<c>MPI_Abort</c>), so no other rank waits for this one forever.
    /// </summary>
    public static MpiProcessGroup Init(ThreadLevel threadLevel = ThreadLevel.Funneled, TimeSpan? timeout = null, bool abortOnUnhandledException = true)
    {
        lock (initGate)
        {
            if (current is not null) throw new InvalidOperationException("MpiProcessGroup.Init: MPI is already initialised in this process; use MpiProcessGroup.Current, or dispose it first.");
            if (finalized) throw new InvalidOperationException("MpiProcessGroup.Init: MPI was finalized in this process, and MPI can be initialised only once per process. Keep one group for the whole run.");
            var t = timeout ?? TimeSpan.FromMinutes(30);
            if (t <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(timeout), t, "MpiProcessGroup.Init: the timeout must be positive.");
            var group = new MpiProcessGroup(threadLevel, t);
            current = group;
            if (abortOnUnhandledException) AppDomain.CurrentDomain.UnhandledException += group.OnUnhandledException;
            AppDomain.CurrentDomain.ProcessExit += (_, _) => group.Dispose();
            return group;
        }
    }

    /// <summary>The group <see cref="Init"/> created and not yet disposed, or null.</summary>
    public static MpiProcessGroup? Current => current;

    /// <summary>
    /// Whether this process was started by an MPI launcher (mpirun/mpiexec or srun): Open MPI's <c>OMPI_COMM_WORLD_SIZE</c>
    /// or PMIx's <c>PMIX_RANK</c> is set.
    /// </summary>
    public static bool IsLaunchedByMpi =>
        Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is not null || Environment.GetEnvironmentVariable("PMIX_RANK") is not null;

    private MpiProcessGroup(ThreadLevel requested, TimeSpan timeout)
    {
        Timeout = timeout;
        Exception? initError = null;
        using var ready = new ManualResetEventSlim();
        thread = new Thread(() =>
        {
            try { Initialize(requested); }
            catch (Exception e) { initError = e; }
            ready.Set();
            if (initError is null) Loop();
        }) { IsBackground = true, Name = "mpi" };
        thread.Start();
        ready.Wait();
        if (initError is not null) throw initError;
    }

    /// <inheritdoc/>
    public int Rank { get; private set; }

    /// <inheritdoc/>
    public int Size { get; private set; }

    /// <inheritdoc/>
    public string Backend => "mpi";

    /// <summary>The thread support MPI provided (<c>MPI_Init_thread</c>'s <c>provided</c>).</summary>
    public ThreadLevel ProvidedThreadLevel { get; private set; }

    /// <summary>How long a collective may wait for the other ranks before it throws.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>The MPI library's version line, e.g. <c>Open MPI v4.1.4, package: Debian OpenMPI, …</c>.</summary>
    public string LibraryVersion { get; private set; } = "";

    private void Initialize(ThreadLevel requested)
    {
        MpiNative.Load();
        handles = new MpiHandles();
        int flag = 0, provided = 0, rank = 0, size = 0;
        Check(MpiNative.MPI_Initialized(&flag), "MPI_Initialized");
        if (flag != 0) throw new InvalidOperationException("MPI_Init_thread: MPI was already initialised in this process by other code; Backprop.Distributed must initialise it itself.");
        Check(MpiNative.MPI_Init_thread(null, null, (int)requested, &provided), "MPI_Init_thread");
        Check(MpiNative.MPI_Comm_set_errhandler(handles.CommWorld, handles.ErrorsReturn), "MPI_Comm_set_errhandler");
        Check(MpiNative.MPI_Comm_rank(handles.CommWorld, &rank), "MPI_Comm_rank");
        Check(MpiNative.MPI_Comm_size(handles.CommWorld, &size), "MPI_Comm_size");
        (Rank, Size, ProvidedThreadLevel, LibraryVersion) = (rank, size, (ThreadLevel)provided, MpiNative.LibraryVersion());
        if (ProvidedThreadLevel < ThreadLevel.Funneled && requested >= ThreadLevel.Funneled)
            throw new NotSupportedException($"MPI_Init_thread: {LibraryVersion} provides thread level {ProvidedThreadLevel}; Backprop needs at least Funneled (MPI_THREAD_FUNNELED).");
    }

    /// <inheritdoc/>
    public void AllReduce<T>(Span<T> buffer, ReduceOp op = ReduceOp.Sum) where T : unmanaged
    {
        var type = handles.Datatype<T>("MPI_Iallreduce", arithmetic: true);
        var mpiOp = handles.Op(op);
        if (Size == 1) return; // the reduction of one rank's values is those values
        fixed (T* p = buffer)
        {
            nint address = (nint)p; int count = buffer.Length;
            Issue("MPI_Iallreduce", r => MpiNative.MPI_Iallreduce(MpiHandles.InPlace, (void*)address, count, type, mpiOp, handles.CommWorld, (nint*)r), null).Wait();
        }
    }

    /// <inheritdoc/>
    public Work AllReduceAsync<T>(Memory<T> buffer, ReduceOp op = ReduceOp.Sum) where T : unmanaged
    {
        var type = handles.Datatype<T>("MPI_Iallreduce", arithmetic: true);
        var mpiOp = handles.Op(op);
        if (Size == 1) return Work.Completed("MPI_Iallreduce");
        var pin = buffer.Pin();
        nint address = (nint)pin.Pointer; int count = buffer.Length;
        return Issue("MPI_Iallreduce", r => MpiNative.MPI_Iallreduce(MpiHandles.InPlace, (void*)address, count, type, mpiOp, handles.CommWorld, (nint*)r), pin);
    }

    /// <inheritdoc/>
    public void Broadcast<T>(Span<T> buffer, int root = 0) where T : unmanaged
    {
        var type = handles.Datatype<T>("MPI_Ibcast", arithmetic: false);
        if ((uint)root >= (uint)Size) throw new ArgumentOutOfRangeException(nameof(root), root, $"MPI_Ibcast: root must be a rank in 0..{Size - 1}.");
        if (Size == 1) return;
        fixed (T* p = buffer)
        {
            nint address = (nint)p; int count = buffer.Length;
            Issue("MPI_Ibcast", r => MpiNative.MPI_Ibcast((void*)address, count, type, root, handles.CommWorld, (nint*)r), null).Wait();
        }
    }

    /// <inheritdoc/>
    public void AllGather<T>(ReadOnlySpan<T> send, Span<T> receive) where T : unmanaged
    {
        var type = handles.Datatype<T>("MPI_Iallgather", arithmetic: false);
        if (receive.Length != (long)send.Length * Size)
            throw new ArgumentException($"MPI_Iallgather: the receive buffer holds {receive.Length} elements; it needs world size {Size} × {send.Length} = {(long)send.Length * Size}.", nameof(receive));
        if (Size == 1) { send.CopyTo(receive); return; }
        fixed (T* s = send)
        fixed (T* d = receive)
        {
            nint from = (nint)s, to = (nint)d; int count = send.Length;
            Issue("MPI_Iallgather", r => MpiNative.MPI_Iallgather((void*)from, count, type, (void*)to, count, type, handles.CommWorld, (nint*)r), null).Wait();
        }
    }

    /// <inheritdoc/>
    public void Barrier()
    {
        if (Size > 1) Issue("MPI_Ibarrier", r => MpiNative.MPI_Ibarrier(handles.CommWorld, (nint*)r), null).Wait();
    }

    /// <inheritdoc/>
    public void Abort(int errorCode = 1)
    {
        Console.Out.Flush();
        Console.Error.Flush();
        abortCode = errorCode;
        try { queue.Add(new Job("MPI_Abort", null, null, new Work("MPI_Abort"))); }
        catch (InvalidOperationException) { } // the group was disposed: no MPI thread any more, abort from here below
        Thread.Sleep(TimeSpan.FromSeconds(10)); // the MPI thread aborts the job; should it be stuck inside MPI, abort from here
        MpiNative.MPI_Abort(handles.CommWorld, errorCode);
        Environment.Exit(errorCode);
    }

    /// <summary>Finalizes MPI (<c>MPI_Finalize</c>) after the collectives already issued; the group cannot be used afterwards.</summary>
    public void Dispose()
    {
        lock (initGate)
        {
            if (disposed) return;
            disposed = true;
            var work = new Work("MPI_Finalize");
            queue.Add(new Job("MPI_Finalize", null, null, work));
            queue.CompleteAdding();
            // After a timed-out collective, or while aborting, MPI_Finalize could wait forever: exit without finalizing.
            if (broken is null && abortCode < 0) work.Wait();
            AppDomain.CurrentDomain.UnhandledException -= OnUnhandledException;
            current = null;
            finalized = true;
        }
    }

    private void OnUnhandledException(object sender, UnhandledExceptionEventArgs e)
    {
        Console.Error.WriteLine($"rank {Rank} of {Size}: unhandled exception, aborting the MPI job: {e.ExceptionObject}");
        Abort(1);
    }

    /// <summary>A collective waiting to run on the MPI thread: its start call (given the request's address) and the buffer pin.</summary>
    private sealed record Job(string Name, Func<nint, int>? Start, IDisposable? Pin, Work Work);

    internal Work Issue(string name, Func<nint, int> start, IDisposable? pin)
    {
        if (disposed) { pin?.Dispose(); throw new ObjectDisposedException(nameof(MpiProcessGroup), $"{name}: the process group was disposed (MPI_Finalize); MPI cannot be used afterwards."); }
        var work = new Work(name);
        queue.Add(new Job(name, start, pin, work));
        return work;
    }

    private void Loop()
    {
        foreach (var job in queue.GetConsumingEnumerable())
        {
            if (job.Name == "MPI_Abort") MpiNative.MPI_Abort(handles.CommWorld, abortCode);
            if (job.Name == "MPI_Finalize")
            {
                Exception? error = null;
                try { Check(MpiNative.MPI_Finalize(), "MPI_Finalize"); } catch (Exception e) { error = e; }
                job.Work.Complete(error);
                return;
            }
            try
            {
                if (broken is not null) throw new DistributedException($"{job.Name} on rank {Rank} of {Size}: not started because an earlier collective failed: {broken}");
                Run(job.Name, job.Start!);
                job.Work.Complete(null);
            }
            catch (Exception e)
            {
                if (e is DistributedException { Data.Count: > 0 }) broken ??= e.Message; // a request left pending: MPI is unusable
                job.Work.Complete(e);
            }
            finally { job.Pin?.Dispose(); }
        }
    }

    /// <summary>Starts one non-blocking collective and polls it to completion, the timeout, or an abort request.</summary>
    private void Run(string name, Func<nint, int> start)
    {
        nint request = 0;
        Check(start((nint)(&request)), name);
        var clock = Stopwatch.StartNew();
        for (long polls = 0; ; polls++)
        {
            int flag = 0;
            int code = MpiNative.MPI_Test(&request, &flag, null);
            if (code != 0) throw Pending(Error($"MPI_Test ({name})", code));
            if (flag != 0) return;
            if (abortCode >= 0) MpiNative.MPI_Abort(handles.CommWorld, abortCode);
            if (polls < 64) continue;                    // tight spin for short collectives
            if (clock.Elapsed > Timeout)
                throw Pending(new DistributedException(
                    $"{name} did not complete within {Timeout} on rank {Rank} of {Size}: at least one rank has not called it (a rank may be stuck " +
                    "or waiting on another collective, or the ranks issued collectives in different orders). MPI cannot cancel it; end the job " +
                    "(Abort) and check that every rank runs the same collectives in the same order."));
            if (clock.ElapsedMilliseconds < 1000) Thread.Yield(); // let the other ranks' processes run on a shared core
            else Thread.Sleep(1);                                   // a long wait: another rank is late, poll gently
        }
    }

    /// <summary>Marks a failure that left an MPI request pending, after which no further collective can run.</summary>
    private static DistributedException Pending(DistributedException e)
    {
        e.Data["pending"] = true;
        return e;
    }

    private void Check(int code, string call)
    {
        if (code != 0) throw Error(call, code);
    }

    private DistributedException Error(string call, int code) =>
        new(
            $"{call} failed on rank {Rank} of {Size}: {MpiNative.ErrorString(code)} (MPI error {code}). " +
            "Every rank must call the same collectives in the same order, with buffers of the same length and element type.");
}
