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

    public static void AssertClose(double[] expected, double[] actual, double atol, double rtol, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} values, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= atol + rtol * Math.Abs(expected[i]),
                $"{what}: element {i} is {actual[i]:R}, PyTorch gives {expected[i]:R}");
    }
}
