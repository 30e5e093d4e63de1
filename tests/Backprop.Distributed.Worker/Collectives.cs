using System.Globalization;
using Backprop.Distributed;

namespace Backprop.Distributed.Worker;

/// <summary>Every collective with rank-dependent inputs; the test checks the printed results against closed forms.</summary>
internal static class Collectives
{
    public static void Run(MpiProcessGroup g)
    {
        int r = g.Rank;
        Print(g, "size", [g.Size]);
        Print(g, "thread_level", [(int)g.ProvidedThreadLevel]);

        var f = new float[] { r + 1, 2 * r };
        g.AllReduce<float>(f);
        Print(g, "sum_float", f);
        var d = new double[] { r + 0.5, -r };
        g.AllReduce<double>(d, ReduceOp.Max);
        Print(g, "max_double", d);
        var l = new long[] { 10 - r, long.MaxValue - r };
        g.AllReduce<long>(l, ReduceOp.Min);
        Print(g, "min_long", l);
        var p = new double[] { r + 1 };
        g.AllReduce<double>(p, ReduceOp.Product);
        Print(g, "product_double", p);
        var a = new int[] { r, 1 };
        var work = g.AllReduceAsync<int>(a);
        work.Wait();
        Print(g, "async_sum_int", [.. a, work.IsCompleted ? 1 : 0]);

        var b = new long[] { 100 + r, 200 + r };
        g.Broadcast<long>(b, root: g.Size - 1);
        Print(g, "broadcast_from_last", b);
        var gathered = new int[2 * g.Size];
        g.AllGather<int>([r, r * r], gathered);
        Print(g, "allgather_int", gathered);
        g.Barrier();

        Error(g, "gather_wrong_length", () => g.AllGather<int>([1], new int[g.Size + 1]));
        Error(g, "broadcast_bad_root", () => g.Broadcast<float>(new float[1], root: g.Size));
        Error(g, "unsupported_type", () => g.AllReduce<short>(new short[1]));
        // An MPI-level error: MPI itself rejects a negative count (MPI_ERRORS_RETURN turns it into an exception).
        Error(g, "mpi_error", () => MpiErrorCall(g));
        var after = new float[] { 1 };
        g.AllReduce<float>(after);
        Print(g, "sum_after_errors", after);
    }

    private static unsafe void MpiErrorCall(MpiProcessGroup g)
    {
        var buffer = new float[1];
        var pin = new Memory<float>(buffer).Pin();
        var handles = new MpiHandles();
        nint address = (nint)pin.Pointer;
        g.Issue("MPI_Iallreduce", req => MpiNative.MPI_Iallreduce(MpiHandles.InPlace, (void*)address, -1, handles.Datatype<float>("test", true), handles.Op(ReduceOp.Sum), handles.CommWorld, (nint*)req), pin).Wait();
    }

    private static void Error(MpiProcessGroup g, string key, Action call)
    {
        try { call(); Console.WriteLine($"R|{key}|{g.Rank}|no exception"); }
        catch (Exception e) { Console.WriteLine($"R|{key}|{g.Rank}|{e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}"); }
    }

    private static void Print<T>(MpiProcessGroup g, string key, T[] values) where T : IFormattable =>
        Console.WriteLine($"R|{key}|{g.Rank}|{string.Join(",", values.Select(v => v.ToString(null, CultureInfo.InvariantCulture)))}");
}
