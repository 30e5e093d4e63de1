using System.Text.Json;

namespace Backprop.Tests;

/// <summary>Reads the PyTorch reference values written by tests/reference/make_reference.py.</summary>
internal static class Reference
{
    public static JsonElement Load(string file)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "reference", file);
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement;
    }

    public static double[] Doubles(this JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    /// <summary>The names of the cases of one group in a file of the form {"cases": [{"name", "group", ...}]}.</summary>
    public static TheoryData<string> Cases(JsonElement data, string group)
    {
        var names = new TheoryData<string>();
        foreach (var c in data.GetProperty("cases").EnumerateArray())
            if (c.GetProperty("group").GetString() == group) names.Add(c.GetProperty("name").GetString()!);
        return names;
    }

    /// <summary>The case called <paramref name="name"/>.</summary>
    public static JsonElement Case(JsonElement data, string name) =>
        data.GetProperty("cases").EnumerateArray().First(c => c.GetProperty("name").GetString() == name);

    /// <summary>A tensor written as {"shape", "data"}; non-finite numbers may be strings ("-inf", "inf", "nan").</summary>
    public static Tensor Tensor(JsonElement e, bool integral = false)
    {
        int[] shape = e.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        var data = e.GetProperty("data").EnumerateArray().Select(v => v.ValueKind != JsonValueKind.String ? v.GetDouble() : v.GetString() switch
        {
            "-inf" => double.NegativeInfinity,
            "inf" => double.PositiveInfinity,
            _ => double.NaN,
        }).ToArray();
        return integral ? Backprop.Tensor.FromArray(data.Select(v => (long)v).ToArray(), shape) : Backprop.Tensor.FromArray(data, shape);
    }

    public static void AssertClose(double[] expected, double[] actual, double atol, double rtol, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} values, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= atol + rtol * Math.Abs(expected[i]),
                $"{what}: element {i} is {actual[i]:R}, PyTorch gives {expected[i]:R}");
    }
}
