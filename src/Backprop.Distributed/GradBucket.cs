using System.Numerics;
using Backprop.NN;

namespace Backprop.Distributed;

/// <summary>
/// Gradients of several parameters of one dtype, all-reduced as one flat buffer (<c>torch.distributed.GradBucket</c>;
/// Horovod's tensor fusion). The buffer is pinned so the MPI thread can reduce it while backward goes on.
/// </summary>
internal abstract class GradBucket(Parameter[] parameters)
{
    /// <summary>The parameters in the bucket, in the order their gradients sit in the buffer.</summary>
    public Parameter[] Parameters { get; } = parameters;

    /// <summary>Parameters whose gradient has not yet arrived in the current backward pass.</summary>
    public int Pending { get; set; } = parameters.Length;

    public Work? Work { get; set; }

    /// <summary>Buffer size in bytes.</summary>
    public abstract long Bytes { get; }

    public DType DType => Parameters[0].DType;

    /// <summary>Copies each gradient into the buffer multiplied by 1/<paramref name="worldSize"/>, and starts the all-reduce (sum).</summary>
    public abstract void Launch(IProcessGroup group, int worldSize);

    /// <summary>Waits for the all-reduce and copies the averaged values back into each parameter's gradient.</summary>
    public abstract void Finish();

    public static GradBucket Create(Parameter[] parameters) =>
        parameters[0].DType == DType.Float64 ? new GradBucket<double>(parameters) : parameters[0].DType == DType.Float32 ? new GradBucket<float>(parameters)
            : throw new NotSupportedException($"DistributedDataParallel: parameters of dtype {parameters[0].DType} cannot be averaged; use Float32 or Float64.");

    /// <summary>
    /// Splits parameters into buckets as PyTorch's DDP does (<c>_compute_bucket_assignment_by_size</c>): walking the
    /// parameters in registration order, one open bucket per dtype is closed once it holds at least its limit — 1 MiB for
    /// the first bucket of each dtype, <paramref name="capBytes"/> after that — and the list is reversed, because
    /// gradients arrive roughly in reverse order of registration. The small bucket is reduced last, so little
    /// communication is left once backward ends.
    /// </summary>
    public static List<Parameter[]> Assign(IReadOnlyList<Parameter> parameters, long capBytes, long firstBucketBytes = 1 << 20)
    {
        var result = new List<Parameter[]>();
        var open = new Dictionary<DType, (List<Parameter> Members, long Bytes, long Limit)>();
        foreach (var p in parameters)
        {
            var (members, bytes, limit) = open.TryGetValue(p.DType, out var o) ? o : ([], 0, Math.Min(firstBucketBytes, capBytes));
            members.Add(p);
            bytes += (long)p.Numel * p.DType.ElementSize();
            if (bytes >= limit)
            {
                result.Add([.. members]);
                (members, bytes, limit) = ([], 0, capBytes);
            }
            open[p.DType] = (members, bytes, limit);
        }
        foreach (var (members, _, _) in open.Values)
            if (members.Count > 0) result.Add([.. members]);
        result.Sort((a, b) => parameters.IndexOf(a[0]).CompareTo(parameters.IndexOf(b[0])));
        result.Reverse();
        return result;
    }
}

internal sealed class GradBucket<T>(Parameter[] parameters) : GradBucket(parameters) where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] buffer = GC.AllocateUninitializedArray<T>(parameters.Sum(p => p.Numel), pinned: true);

    public override long Bytes => (long)buffer.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();

    public override void Launch(IProcessGroup group, int worldSize)
    {
        var scale = T.One / T.CreateChecked(worldSize);
        int offset = 0;
        foreach (var p in Parameters)
        {
            var slot = buffer.AsSpan(offset, p.Grad!.Numel);
            TensorData.Download<T>(p.Grad, slot); // the gradient into its slot of the bucket, then ÷ world size in place
            System.Numerics.Tensors.TensorPrimitives.Multiply(slot, scale, slot);
            offset += slot.Length;
        }
        Work = group.AllReduceAsync<T>(buffer);
    }

    public override void Finish()
    {
        Work!.Wait();
        Work = null;
        int offset = 0;
        foreach (var p in Parameters)
        {
            int count = p.Grad!.Numel;
            TensorData.Upload<T>(buffer.AsSpan(offset, count), p.Grad);
            offset += count;
        }
    }
}

/// <summary>Extension used by bucket assignment.</summary>
internal static class ListExtensions
{
    public static int IndexOf<T>(this IReadOnlyList<T> list, T item) where T : class
    {
        for (int i = 0; i < list.Count; i++) if (ReferenceEquals(list[i], item)) return i;
        return -1;
    }
}
