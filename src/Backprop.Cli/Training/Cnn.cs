using System.Globalization;
using Backprop.NN;

namespace Backprop.Cli.Training;

/// <summary>
/// The CLI's convolutional networks, described by a short spec string of comma-separated layers:
/// <c>convN</c> (N filters 3×3, padding 1, then ReLU), <c>convN:K</c> (K×K, padding K/2), <c>bn</c> (batch normalization
/// of the preceding convolution's output, before its ReLU: conv-bn-relu), <c>pool</c> (max-pool 2×2),
/// <c>avgpool</c> (average-pool 2×2), <c>dropP</c> (dropout with probability P), <c>fcN</c> (a hidden linear layer of N, then
/// ReLU). The network starts by unflattening the feature rows into images and ends with a linear layer to the classes.
/// </summary>
internal static class Cnn
{
    /// <summary><c>--model cnn</c>: the benchmark's network (conv 32, pool, conv 64, pool, linear 128).</summary>
    public const string Default = "conv32,pool,conv64,pool,fc128";

    /// <summary>The spec a <c>--model</c> value stands for: <see cref="Default"/> for "cnn", the value itself otherwise.</summary>
    public static string Resolve(string model) => model == "cnn" ? Default : model;

    /// <summary>Builds the network for images of <paramref name="imageShape"/> [C, H, W]; throws naming the bad token.</summary>
    public static Sequential Build(int[] imageShape, string spec, int classes, long seed)
    {
        var g = new Generator(seed);
        int c = imageShape[0], h = imageShape[1], w = imageShape[2];
        var layers = new List<Module> { new Unflatten(1, imageShape) };
        int? features = null; // set once the first fc layer flattened the images
        foreach (var raw in spec.Split(',', StringSplitOptions.TrimEntries))
        {
            string token = raw.ToLowerInvariant();
            if (token.StartsWith("conv", StringComparison.Ordinal))
            {
                if (features is not null) throw Bad(spec, raw, "a convolution cannot follow a fully connected layer");
                var parts = token[4..].Split(':');
                int filters = Positive(parts[0], spec, raw);
                int kernel = parts.Length > 1 ? Positive(parts[1], spec, raw) : 3;
                if (kernel > h + 2 * (kernel / 2) || kernel > w + 2 * (kernel / 2)) throw Bad(spec, raw, $"a {kernel}×{kernel} kernel does not fit {h}×{w} images");
                layers.Add(new Conv2d(c, filters, kernel, padding: kernel / 2, generator: g));
                layers.Add(new Relu());
                c = filters; h = h + 2 * (kernel / 2) - kernel + 1; w = w + 2 * (kernel / 2) - kernel + 1;
            }
            else if (token == "bn")
            {
                if (layers.Count < 2 || layers[^2] is not Conv2d || layers[^1] is not Relu) throw Bad(spec, raw, "bn must directly follow a convolution (conv-bn-relu)");
                layers.Insert(layers.Count - 1, new BatchNorm2d(c));
            }
            else if (token is "pool" or "avgpool")
            {
                if (features is not null) throw Bad(spec, raw, "pooling cannot follow a fully connected layer");
                if (h < 2 || w < 2) throw Bad(spec, raw, $"the images are already {h}×{w}");
                layers.Add(token == "pool" ? new MaxPool2d(2) : new AvgPool2d(2));
                h /= 2; w /= 2;
            }
            else if (token.StartsWith("drop", StringComparison.Ordinal))
            {
                if (!double.TryParse(token[4..], NumberStyles.Float, CultureInfo.InvariantCulture, out double p) || p < 0 || p >= 1)
                    throw Bad(spec, raw, "dropout needs a probability in [0, 1), e.g. drop0.25");
                layers.Add(new Dropout(p));
            }
            else if (token.StartsWith("fc", StringComparison.Ordinal))
            {
                int units = Positive(token[2..], spec, raw);
                if (features is null) { layers.Add(new Flatten()); features = c * h * w; }
                layers.Add(new Linear(features.Value, units, generator: g));
                layers.Add(new Relu());
                features = units;
            }
            else throw Bad(spec, raw, "use convN, convN:K, bn, pool, avgpool, dropP or fcN");
        }
        if (features is null) { layers.Add(new Flatten()); features = c * h * w; }
        layers.Add(new Linear(features.Value, classes, generator: g));
        return new Sequential([.. layers]);
    }

    /// <summary>The image shape [C, H, W] of a built-in image data set, or null for tabular data.</summary>
    public static int[]? ImageShape(string dataset) => dataset switch
    {
        "fashion-mnist" => [1, 28, 28],
        "digits" => [1, 8, 8],
        _ => null,
    };

    private static int Positive(string text, string spec, string token) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v > 0 ? v : throw Bad(spec, token, "expected a positive whole number");

    private static ArgumentException Bad(string spec, string token, string why) => new($"--model '{spec}': layer '{token}': {why}");
}
