namespace Backprop.Distributed;

/// <summary>Open MPI's predefined handles (communicator, error handler, datatypes, ops), read once from the library's exports.</summary>
internal sealed class MpiHandles
{
    public readonly nint CommWorld = MpiNative.Export("ompi_mpi_comm_world");
    public readonly nint ErrorsReturn = MpiNative.Export("ompi_mpi_errors_return");
    private readonly nint @float = MpiNative.Export("ompi_mpi_float");
    private readonly nint @double = MpiNative.Export("ompi_mpi_double");
    private readonly nint int64 = MpiNative.Export("ompi_mpi_int64_t");
    private readonly nint int32 = MpiNative.Export("ompi_mpi_int32_t");
    private readonly nint @byte = MpiNative.Export("ompi_mpi_byte");
    private readonly nint sum = MpiNative.Export("ompi_mpi_op_sum");
    private readonly nint prod = MpiNative.Export("ompi_mpi_op_prod");
    private readonly nint min = MpiNative.Export("ompi_mpi_op_min");
    private readonly nint max = MpiNative.Export("ompi_mpi_op_max");

    /// <summary>Open MPI's <c>MPI_IN_PLACE</c>, <c>(void*)1</c> in its mpi.h.</summary>
    public static unsafe void* InPlace => (void*)1;

    /// <summary>The MPI datatype of <typeparamref name="T"/>; <paramref name="arithmetic"/> excludes byte (reductions).</summary>
    public nint Datatype<T>(string call, bool arithmetic) where T : unmanaged =>
        typeof(T) == typeof(float) ? @float
        : typeof(T) == typeof(double) ? @double
        : typeof(T) == typeof(long) ? int64
        : typeof(T) == typeof(int) ? int32
        : typeof(T) == typeof(byte) && !arithmetic ? @byte
        : throw new NotSupportedException(
            $"{call}: element type {typeof(T).Name} is not supported; use float, double, long or int{(arithmetic ? "" : " (or byte)")}.");

    public nint Op(ReduceOp op) => op switch
    {
        ReduceOp.Sum => sum,
        ReduceOp.Product => prod,
        ReduceOp.Min => min,
        ReduceOp.Max => max,
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, "ReduceOp: use Sum, Product, Min or Max."),
    };
}
