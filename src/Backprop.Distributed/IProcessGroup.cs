namespace Backprop.Distributed;

/// <summary>
/// A group of processes (ranks) that run collectives together: the counterpart of <c>torch.distributed.ProcessGroup</c>
/// (c10d's <c>Backend</c>). Every rank must call the same collectives in the same order with buffers of the same length
/// and element type; ranks are numbered 0 … <see cref="Size"/> − 1. Implemented over MPI by <see cref="MpiProcessGroup"/>;
/// a GPU backend (NCCL) can implement the same interface. Supported element types: <see cref="float"/>,
/// <see cref="double"/>, <see cref="long"/>, <see cref="int"/> (and <see cref="byte"/> for broadcast and all-gather).
/// </summary>
public interface IProcessGroup : IDisposable
{
    /// <summary>This process's rank (<c>dist.get_rank()</c>).</summary>
    int Rank { get; }

    /// <summary>Number of ranks (<c>dist.get_world_size()</c>).</summary>
    int Size { get; }

    /// <summary>The backend's name, e.g. <c>mpi</c> (<c>dist.get_backend()</c>).</summary>
    string Backend { get; }

    /// <summary>Reduces <paramref name="buffer"/> element-wise over all ranks, leaving the result on every rank (<c>dist.all_reduce</c>).</summary>
    void AllReduce<T>(Span<T> buffer, ReduceOp op = ReduceOp.Sum) where T : unmanaged;

    /// <summary>
    /// Starts an all-reduce and returns at once (<c>dist.all_reduce(..., async_op=True)</c>); the buffer must not be
    /// touched until <see cref="Work.Wait"/> returns. Collectives run one at a time, in the order they were started.
    /// </summary>
    Work AllReduceAsync<T>(Memory<T> buffer, ReduceOp op = ReduceOp.Sum) where T : unmanaged;

    /// <summary>Copies <paramref name="buffer"/> from rank <paramref name="root"/> to every other rank (<c>dist.broadcast</c>).</summary>
    void Broadcast<T>(Span<T> buffer, int root = 0) where T : unmanaged;

    /// <summary>
    /// Gathers every rank's <paramref name="send"/> into <paramref name="receive"/>, rank 0's first
    /// (<c>dist.all_gather_into_tensor</c>); <paramref name="receive"/> holds <see cref="Size"/> × <paramref name="send"/>.Length elements.
    /// </summary>
    void AllGather<T>(ReadOnlySpan<T> send, Span<T> receive) where T : unmanaged;

    /// <summary>Returns once every rank has called it (<c>dist.barrier()</c>).</summary>
    void Barrier();

    /// <summary>
    /// Ends every rank of the job with <paramref name="errorCode"/> (<c>MPI_Abort</c>; PyTorch's elastic agent does the
    /// same when one worker fails). Does not return.
    /// </summary>
    void Abort(int errorCode = 1);
}

/// <summary>Element-wise reduction of a collective (<c>torch.distributed.ReduceOp</c>).</summary>
public enum ReduceOp
{
    /// <summary>Sum (<c>ReduceOp.SUM</c>).</summary>
    Sum,
    /// <summary>Product (<c>ReduceOp.PRODUCT</c>).</summary>
    Product,
    /// <summary>Minimum (<c>ReduceOp.MIN</c>).</summary>
    Min,
    /// <summary>Maximum (<c>ReduceOp.MAX</c>).</summary>
    Max,
}

/// <summary>MPI's thread-support levels (<c>MPI_THREAD_*</c>), in increasing order.</summary>
public enum ThreadLevel
{
    /// <summary>One thread in the process (<c>MPI_THREAD_SINGLE</c>).</summary>
    Single,
    /// <summary>Only the thread that initialised MPI calls it (<c>MPI_THREAD_FUNNELED</c>).</summary>
    Funneled,
    /// <summary>Any thread, one at a time (<c>MPI_THREAD_SERIALIZED</c>).</summary>
    Serialized,
    /// <summary>Any thread, concurrently (<c>MPI_THREAD_MULTIPLE</c>).</summary>
    Multiple,
}

/// <summary>
/// A collective started by an <c>...Async</c> call (<c>torch.distributed.Work</c>): <see cref="Wait"/> blocks until it is
/// done and rethrows its failure.
/// </summary>
public sealed class Work
{
    private readonly ManualResetEventSlim done = new();
    private Exception? failure;

    internal Work(string name) => Name = name;

    /// <summary>The collective's MPI name, e.g. <c>MPI_Iallreduce</c>.</summary>
    public string Name { get; }

    /// <summary>Whether it has finished, successfully or not (<c>work.is_completed()</c>).</summary>
    public bool IsCompleted => done.IsSet;

    /// <summary>Blocks until the collective is done (<c>work.wait()</c>); throws <see cref="DistributedException"/> if it failed.</summary>
    public void Wait()
    {
        done.Wait();
        if (failure is not null) throw new DistributedException(failure.Message, failure);
    }

    internal static Work Completed(string name)
    {
        var work = new Work(name);
        work.Complete(null);
        return work;
    }

    internal void Complete(Exception? error)
    {
        failure = error;
        done.Set();
    }
}

/// <summary>A collective failed or timed out; the message names the call, the rank and what to do.</summary>
public sealed class DistributedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DistributedException(string message, Exception? inner = null) : base(message, inner) { }
}
