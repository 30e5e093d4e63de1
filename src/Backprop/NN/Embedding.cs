namespace Backprop.NN;

/// <summary>
/// A lookup table of <c>numEmbeddings</c> vectors of size <c>embeddingDim</c> (<c>torch.nn.Embedding</c>), initialised
/// N(0, 1); the row at <c>paddingIdx</c> (negative counts from the end) starts at zero and never receives a gradient.
/// State-dict name <c>weight</c>.
/// </summary>
public sealed class Embedding : Module
{
    /// <summary>The table, shape [numEmbeddings, embeddingDim].</summary>
    public Parameter Weight { get; }
    /// <summary>The padding row (normalised to be non-negative), or null.</summary>
    public int? PaddingIdx { get; }

    /// <summary>Creates the table; <paramref name="generator"/> seeds its initial values.</summary>
    public Embedding(int numEmbeddings, int embeddingDim, int? paddingIdx = null, Generator? generator = null, DType dtype = DType.Float32)
    {
        if (numEmbeddings <= 0 || embeddingDim <= 0)
            throw new ArgumentException($"Embedding: numEmbeddings and embeddingDim must be positive, got {numEmbeddings} and {embeddingDim}.");
        PaddingIdx = Functional.NormalizePaddingIdx(paddingIdx, numEmbeddings);
        Weight = new Parameter(Tensor.Zeros([numEmbeddings, embeddingDim], dtype));
        Init.Normal(Weight, 0, 1, generator);
        if (PaddingIdx is int p)
            using (Autograd.NoGrad()) Weight.Select(0, p).Zero_();
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Embedding(input, Weight, PaddingIdx);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"{Weight.Shape[0]}, {Weight.Shape[1]}{(PaddingIdx is int p ? $", padding_idx={p}" : "")}";
}

public static partial class Functional
{
    /// <summary>
    /// Rows of <paramref name="weight"/> [n, d] picked by the Int64 <paramref name="input"/> of any shape, giving
    /// input.shape + [d] (<c>F.embedding</c>). Positions holding <paramref name="paddingIdx"/> send no gradient to the table.
    /// An index outside [0, n) throws naming it.
    /// </summary>
    public static Tensor Embedding(Tensor input, Tensor weight, int? paddingIdx = null)
    {
        if (input.DType != DType.Int64) throw new ArgumentException($"Embedding: indices must be Int64, got {input.DType} (shape {input.ShapeString}).");
        if (weight.Rank != 2) throw new ArgumentException($"Embedding: weight must be 2-D [numEmbeddings, embeddingDim], got shape {weight.ShapeString}.");
        int n = weight.Shape[0], dim = weight.Shape[1];
        int? pad = NormalizePaddingIdx(paddingIdx, n);
        var flat = input.Reshape([-1]);
        Tensor rows;
        try
        {
            // The index range is checked inside the gather's kernel (no copy of the indices to the host).
            if (pad is int p && weight.RequiresGrad)
            {
                // The padding row's value is returned as it is, but its gradient is dropped: keep the gradient of the other rows only.
                var keep = flat.Ne(Tensor.ScalarLike(p, flat)).To(weight.DType).Unsqueeze(1);
                Tensor picked;
                using (Autograd.NoGrad()) picked = weight.IndexSelect(0, flat);
                rows = Tensor.Where(keep, weight.IndexSelect(0, flat), picked); // same values; gradient only through non-padding rows
            }
            else rows = weight.IndexSelect(0, flat);
        }
        catch (IndexOutOfRangeException e) when (e.InnerException is Backends.IndexRangeException r)
        {
            throw new ArgumentException($"Embedding: index {r.Value} (at flat position {r.Position} of the input of shape {input.ShapeString}) is out of range for a table of {n} rows (weight shape {weight.ShapeString}).");
        }
        return rows.Reshape([.. input.Shape, dim]);
    }

    /// <summary>One-hot encoding of Int64 class indices as Int64 (<c>F.one_hot</c>); −1 classes: the largest index + 1.</summary>
    public static Tensor OneHot(Tensor indices, int numClasses = -1) => Tensor.OneHot(indices, numClasses);

    internal static int? NormalizePaddingIdx(int? paddingIdx, int numEmbeddings)
    {
        if (paddingIdx is not int p) return null;
        if (p < -numEmbeddings || p >= numEmbeddings)
            throw new ArgumentException($"Embedding: paddingIdx {p} must be within [-{numEmbeddings}, {numEmbeddings}) for {numEmbeddings} embeddings.");
        return p < 0 ? p + numEmbeddings : p;
    }
}
