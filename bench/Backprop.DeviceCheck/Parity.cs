using Backprop.Backends;
using Backprop.Backends.Cuda;

namespace Backprop.DeviceCheck;

/// <summary>Moving test data between the host, the GPU and CPU tensors, and comparing GPU results with the CPU backend's.</summary>
internal sealed class Parity(CudaDevice device, Action<string>? print = null)
{
    private readonly Action<string> print = print ?? Console.WriteLine;

    public int Failures { get; private set; }
    public int Checks { get; private set; }

    public static readonly DType[] Floating = [DType.Float32, DType.Float64];

    public static double[] Random(int n, int seed, double low = -3, double high = 3)
    {
        var r = new System.Random(seed);
        var v = new double[n];
        for (int i = 0; i < n; i++) v[i] = low + (high - low) * r.NextDouble();
        return v;
    }

    public DeviceBlock Up(double[] v, DType t) => t switch
    {
        DType.Float32 => device.Upload<float>([.. v.Select(x => (float)x)]),
        DType.Float64 => device.Upload<double>(v),
        _ => device.Upload<long>([.. v.Select(x => (long)x)]),
    };

    public double[] Down(DeviceBlock b, int n, DType t) => t switch
    {
        DType.Float32 => [.. device.Download<float>(b, n).Select(x => (double)x)],
        DType.Float64 => device.Download<double>(b, n),
        _ => [.. device.Download<long>(b, n).Select(x => (double)x)],
    };

    /// <summary>A CPU tensor holding <paramref name="v"/> (rounded to <paramref name="t"/>) with <paramref name="shape"/>.</summary>
    public static Tensor Cpu(double[] v, DType t, params int[] shape) => (t switch
    {
        DType.Float32 => Tensor.FromArray([.. v.Select(x => (float)x)]),
        DType.Float64 => Tensor.FromArray(v),
        _ => Tensor.FromArray([.. v.Select(x => (long)x)]),
    }).Reshape(shape.Length == 0 ? [v.Length] : shape);

    public static double[] Values(Tensor t) => t.ToArray<double>();

    /// <summary>Float64 to 1e-12 and Float32 to 1e-5, relative to max(|cpu|, 1); NaN must match NaN.</summary>
    public void Compare(string what, double[] gpu, double[] cpu, DType t, double? tolerance = null)
    {
        Checks++;
        double tol = tolerance ?? (t == DType.Float32 ? 1e-5 : 1e-12), worst = 0;
        int bad = 0, at = -1;
        for (int i = 0; i < cpu.Length; i++)
        {
            if (double.IsNaN(cpu[i]) && double.IsNaN(gpu[i])) continue;
            double err = cpu[i] == gpu[i] ? 0 : Math.Abs(gpu[i] - cpu[i]) / Math.Max(Math.Abs(cpu[i]), 1);
            if (double.IsNaN(err) || err > tol) { bad++; if (at < 0) at = i; }
            if (err > worst || double.IsNaN(err)) worst = err;
        }
        if (bad > 0)
        {
            Failures++;
            print($"  FAIL {what}: {bad}/{cpu.Length} beyond {tol:G2} (worst {worst:G3}); first at {at}: gpu {gpu[at]:R}, cpu {cpu[at]:R}");
        }
        else print($"  ok   {what}: max rel err {worst:G3}");
    }

    public void Fail(string what, string why)
    {
        Checks++;
        Failures++;
        print($"  FAIL {what}: {why}");
    }

    /// <summary>Prints a passed check that is not a comparison.</summary>
    public void Ok(string what) => print($"  ok   {what}");
}
