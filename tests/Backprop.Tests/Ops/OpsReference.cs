using System.Text.Json;

namespace Backprop.Tests.Ops;

/// <summary>Reads tests/reference/ops.json (written by make_ops_reference.py) and compares with NaN/∞ awareness.</summary>
internal static class OpsReference
{
    public static readonly JsonElement Data = Reference.Load("ops.json");

    public static JsonElement Case(string name) =>
        Data.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);

    public static double Number(JsonElement v) => v.ValueKind == JsonValueKind.String
        ? v.GetString() switch { "nan" => double.NaN, "inf" => double.PositiveInfinity, _ => double.NegativeInfinity }
        : v.GetDouble();

    public static double[] Values(JsonElement t) => t.GetProperty("data").EnumerateArray().Select(Number).ToArray();

    public static int[] Shape(JsonElement t) => t.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();

    public static Tensor Tensor(JsonElement t)
    {
        var data = Values(t);
        var shape = Shape(t);
        return t.GetProperty("dtype").GetString() switch
        {
            "int64" => Backprop.Tensor.FromArray(data.Select(v => (long)v).ToArray(), shape),
            "float32" => Backprop.Tensor.FromArray(data.Select(v => (float)v).ToArray(), shape),
            _ => Backprop.Tensor.FromArray(data, shape),
        };
    }

    /// <summary>Same shape, dtype and values (NaN matches NaN, infinities match exactly).</summary>
    public static void AssertMatches(JsonElement expected, Tensor actual, double atol, double rtol, string what)
    {
        Assert.True(Shape(expected).SequenceEqual(actual.Shape.ToArray()),
            $"{what}: shape {ShapeUtil.Format(actual.Shape)}, PyTorch gives {ShapeUtil.Format(Shape(expected))}");
        var dtype = expected.GetProperty("dtype").GetString();
        Assert.True(dtype == actual.DType.ToString().ToLowerInvariant(), $"{what}: dtype {actual.DType}, PyTorch gives {dtype}");
        var e = Values(expected);
        var a = actual.ToArray<double>();
        for (int i = 0; i < e.Length; i++)
        {
            bool ok = double.IsNaN(e[i]) ? double.IsNaN(a[i])
                : double.IsInfinity(e[i]) ? e[i] == a[i]
                : Math.Abs(e[i] - a[i]) <= atol + rtol * Math.Abs(e[i]);
            Assert.True(ok, $"{what}: element {i} is {a[i]:R}, PyTorch gives {e[i]:R}");
        }
    }
}
