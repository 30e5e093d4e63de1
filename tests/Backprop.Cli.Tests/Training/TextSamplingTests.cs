using Backprop.Cli.Training;

namespace Backprop.Cli.Tests.Training;

/// <summary>
/// <see cref="TextSampling.Pick"/> against hand-derived probabilities: softmax(logits / T) restricted to the top k, with
/// logits ln 1, ln 2, ln 3, ln 4 chosen so that the probabilities are simple fractions.
/// </summary>
public sealed class TextSamplingTests
{
    private static readonly double[] Logits = [Math.Log(1), Math.Log(2), Math.Log(3), Math.Log(4)];

    private static double[] Frequencies(double temperature, int? topK, int draws = 200_000)
    {
        var g = new Generator(42);
        var counts = new double[Logits.Length];
        for (int i = 0; i < draws; i++) counts[TextSampling.Pick(Logits, temperature, topK, g)]++;
        return [.. counts.Select(c => c / draws)];
    }

    private static void AssertClose(double[] expected, double[] actual)
    {
        // 200,000 draws: the standard error of a frequency is at most 0.0012; 0.006 is five of them.
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) < 0.006, $"index {i}: expected {expected[i]:F4}, drew {actual[i]:F4}");
    }

    [Fact]
    public void Temperature1_SamplesTheSoftmax() => AssertClose([0.1, 0.2, 0.3, 0.4], Frequencies(1, null));

    [Fact]
    public void Temperature_Half_SquaresTheOdds() => AssertClose([1 / 30.0, 4 / 30.0, 9 / 30.0, 16 / 30.0], Frequencies(0.5, null)); // p ∝ e^(2 ln i) = i²

    [Fact]
    public void Temperature2_FlattensTheOdds()
    {
        double z = 1 + Math.Sqrt(2) + Math.Sqrt(3) + 2; // p ∝ √i
        AssertClose([1 / z, Math.Sqrt(2) / z, Math.Sqrt(3) / z, 2 / z], Frequencies(2, null));
    }

    [Fact]
    public void TopK_RenormalisesOverTheKMostLikely()
    {
        AssertClose([0, 0, 3 / 7.0, 4 / 7.0], Frequencies(1, 2));
        AssertClose([0, 0, 0, 1], Frequencies(1, 1));
        AssertClose([0.1, 0.2, 0.3, 0.4], Frequencies(1, 4));
    }

    [Fact]
    public void SameSeed_SameDraws()
    {
        var a = new Generator(5); var b = new Generator(5);
        for (int i = 0; i < 100; i++) Assert.Equal(TextSampling.Pick(Logits, 1, null, a), TextSampling.Pick(Logits, 1, null, b));
    }

    [Fact]
    public void BadTemperature_Throws()
    {
        Assert.Throws<ArgumentException>(() => TextSampling.Pick(Logits, 0, null, new Generator(0)));
        Assert.Throws<ArgumentException>(() => TextSampling.Pick(Logits, double.NaN, null, new Generator(0)));
    }
}
