using Backprop.Data;

namespace Backprop.Tests.Data;

/// <summary><see cref="Datasets.Coriolanus"/>: the embedded public-domain passage, as its description (coriolanus.rst) states it.</summary>
public sealed class EmbeddedTextTests
{
    [Fact]
    public void Coriolanus_IsThePassageDescribed()
    {
        var text = Datasets.Coriolanus();
        Assert.Equal(40_036, text.Length);
        Assert.StartsWith("First Citizen:\nBefore we proceed any further, hear me speak.\n", text);
        Assert.EndsWith("at home for you.\n", text);
        Assert.Equal(58, text.Distinct().Count());
        Assert.All(text, c => Assert.True(c == '\n' || c >= ' ' && c < 127, $"U+{(int)c:X4} is not printable ASCII"));
        Assert.DoesNotContain('\r', text);
    }
}
