namespace Backprop.Backends;

/// <summary>
/// The primitives a device implements (candle's <c>BackendStorage</c>, tinygrad's runtime): ops, autograd, nn and optim
/// reach the numbers only through these, after <see cref="Backend.Of(string, Tensor, Tensor)"/> has checked that all
/// operands live on one device. Every method runs one whole op (dispatch once per op, never per element); the dtype
/// switch happens inside the implementation. Outputs are allocated by the caller and passed as views.
/// </summary>
/// <remarks>
/// Every op in <c>Ops/</c>, <c>NN/</c> and <c>Optim/</c> reaches numbers through these, and the data in/out paths
/// (<c>FromArray</c>, <c>ToArray</c>, <c>Item</c>, SafeTensors, GradCheck) through <see cref="CopyFromHost{T}"/> and
/// <see cref="CopyToHost{T}"/>. The test-only checked device enforces it (docs/ARCHITECTURE.md).
/// </remarks>
internal interface IBackend
{
    /// <summary>The device whose memory this backend computes on.</summary>
    Device Device { get; }

    /// <summary>One Adam/AdamW step in place over contiguous tensors of one floating dtype (PyTorch's float-op order).</summary>
    void AdamStep(in TensorView param, in TensorView grad, in TensorView expAvg, in TensorView expAvgSq, in TensorView maxExpAvgSq, in AdamHyper hyper);

    /// <summary>One SGD step in place over contiguous tensors of one floating dtype.</summary>
    void SgdStep(in TensorView param, in TensorView grad, in TensorView buffer, in SgdHyper hyper);

    /// <summary>d = g·f′ computed from the activation's output y (contiguous, one dtype), into <paramref name="result"/>.</summary>
    void ActivationBackward(ActivationKind kind, in TensorView grad, in TensorView output, in TensorView result);

    /// <summary>
    /// Layer normalisation of the contiguous <paramref name="input"/> viewed as [rows, n] (n = the weight's or the mean's
    /// partner size <paramref name="n"/>): output = (x − mean)·rstd·weight + bias with the biased variance; writes each row's
    /// mean and rstd = 1/√(var + eps) ([rows]). <paramref name="weight"/> and <paramref name="bias"/> may be <c>default</c> (absent).
    /// </summary>
    void LayerNormForward(in TensorView input, in TensorView weight, in TensorView bias, double eps, int n, in TensorView output,
        in TensorView mean, in TensorView rstd);

    /// <summary>
    /// First-order backward of <see cref="LayerNormForward"/> from its saved mean and rstd: writes the input's gradient and,
    /// when given (not <c>default</c>), the weight's and bias's ([n], overwritten).
    /// </summary>
    void LayerNormBackward(in TensorView gradOutput, in TensorView input, in TensorView mean, in TensorView rstd, in TensorView weight, int n,
        in TensorView gradInput, in TensorView gradWeight, in TensorView gradBias);

    /// <summary>GELU's first-order backward d = g·GELU′(x) from the input <paramref name="input"/> (exact or tanh approximation), contiguous, one dtype.</summary>
    void GeluBackward(bool tanhApproximation, in TensorView grad, in TensorView input, in TensorView result);

    /// <summary>Softmax (or log-softmax) of a contiguous tensor viewed as [outer, size, inner] along the middle dimension.</summary>
    void Softmax(in TensorView input, int outer, int size, int inner, in TensorView output, bool log);

    /// <summary>
    /// Cross-entropy's gradient in place: <paramref name="probabilities"/> [n, classes] becomes coefₙ·(p − onehot(targetₙ)).
    /// <paramref name="target"/> is Int64 [n] (valid indices), <paramref name="coef"/> [n] in the probabilities' dtype.
    /// </summary>
    void SubtractOneHotAndScale(in TensorView probabilities, in TensorView target, in TensorView coef);

    /// <summary>Converts a contiguous tensor into a contiguous tensor of another dtype (same number of elements).</summary>
    void Convert(in TensorView source, in TensorView destination);

    /// <summary>
    /// One product C (+)= A·B of floating <paramref name="dtype"/>: A is m×k, B is k×n, both read through their strides
    /// (a transpose is a stride swap, never a copy), C is written row by row with row stride <c>c.RowStride</c>.
    /// </summary>
    void Gemm(DType dtype, in Strided2D a, in Strided2D b, in Strided2D c, int m, int k, int n, bool accumulate);

    /// <summary>Copies the contiguous row <paramref name="row"/> [m] into every row of the contiguous <paramref name="matrix"/> [n, m].</summary>
    void FillRows(in TensorView row, in TensorView matrix);

    /// <summary>Sum of all elements of a contiguous tensor into the 0-d <paramref name="output"/>.</summary>
    void SumAll(in TensorView input, in TensorView output);

    /// <summary>Sum of a contiguous tensor viewed as [outer, size, inner] over the middle dimension into [outer, inner].</summary>
    void Sum(in TensorView input, int outer, int size, int inner, in TensorView output);

    /// <summary>Max (or min) over the middle of [outer, size, inner] with the first index where it occurs (Int64).</summary>
    void MaxMin(in TensorView input, int outer, int size, int inner, in TensorView values, in TensorView indices, bool max);

    /// <summary>Divides a contiguous floating tensor by <paramref name="divisor"/> in place (the mean's last step).</summary>
    void DivideInPlace(in TensorView tensor, int divisor);

    /// <summary>
    /// Copies <paramref name="source"/> into <paramref name="destination"/> element by element through both views' strides
    /// (same shape and dtype; a source stride of 0 repeats, as after <c>Expand</c>).
    /// </summary>
    void CopyStrided(in TensorView source, in TensorView destination);

    /// <summary>y = op(x) elementwise over a contiguous floating tensor into a contiguous one.</summary>
    void Map(in UnaryOp op, in TensorView input, in TensorView output);

    /// <summary>
    /// y = a ∘ b with broadcasting: <paramref name="a"/> and <paramref name="b"/> keep their own shapes and strides and
    /// are broadcast to <paramref name="output"/>'s (contiguous) shape; all three have one dtype. The output may be
    /// <paramref name="a"/> itself (an in-place update of a contiguous tensor by a same-shaped one).
    /// </summary>
    void Binary(BinaryKind kind, in TensorView a, in TensorView b, in TensorView output);

    /// <summary>y = x ∘ s for a contiguous floating tensor and a constant (+, −, ×, ÷), with s rounded to the dtype first.</summary>
    void BinaryScalar(BinaryKind kind, in TensorView input, double scalar, in TensorView output);

    /// <summary>y = mask ≠ 0 ? a : b, all three views already broadcast to <paramref name="output"/>'s shape, one dtype.</summary>
    void Where(in TensorView mask, in TensorView a, in TensorView b, in TensorView output);

    /// <summary>
    /// Rows of the contiguous [outer, size, inner] <paramref name="input"/> picked along the middle dimension by the
    /// contiguous Int64 <paramref name="index"/> into the contiguous [outer, index, inner] output. This and the other
    /// index-driven primitives throw <see cref="IndexRangeException"/> for an index outside the dimension.
    /// </summary>
    void IndexSelect(in TensorView input, int outer, int size, int inner, in TensorView index, in TensorView output);

    /// <summary>Adds the contiguous [outer, index, inner] <paramref name="source"/> into rows <paramref name="index"/> of the contiguous [outer, size, inner] <paramref name="target"/>.</summary>
    void IndexAdd(in TensorView target, int outer, int size, int inner, in TensorView index, in TensorView source);

    /// <summary>
    /// Gather (other[i] = self[i with dim ← index[i]]) or Scatter(Add) (self[i with dim ← index[i]] (+)= other[i]) over every
    /// element of the contiguous Int64 <paramref name="index"/>; <paramref name="self"/> and <paramref name="other"/> are contiguous.
    /// </summary>
    void Scatter(ScatterKind kind, in TensorView self, in TensorView other, in TensorView index, int dim);

    /// <summary>Writes host values into the contiguous <paramref name="destination"/>, each converted from <typeparamref name="T"/> to its dtype (upload).</summary>
    void CopyFromHost<T>(ReadOnlySpan<T> source, in TensorView destination) where T : unmanaged, INumberBase<T>;

    /// <summary>Reads the contiguous <paramref name="source"/> into host memory, each element converted to <typeparamref name="T"/> (download).</summary>
    void CopyToHost<T>(in TensorView source, Span<T> destination) where T : unmanaged, INumberBase<T>;

    /// <summary>Sets every element of the contiguous <paramref name="destination"/> to <paramref name="value"/> (rounded to its dtype).</summary>
    void Fill(in TensorView destination, double value);

    /// <summary>Unfold: every window of the dense [N, C, H, W] <paramref name="images"/> as a column of [N, C·kh·kw, OutH·OutW]; outside the image reads <paramref name="padValue"/>.</summary>
    void Im2Col(in TensorView images, in WindowGeometry g, double padValue, in TensorView columns);

    /// <summary>Fold: adds every column of [N, C·kh·kw, OutH·OutW] into its window of the zero-filled [N, C, H, W] <paramref name="images"/>.</summary>
    void Col2Im(in TensorView columns, in WindowGeometry g, in TensorView images);

    /// <summary>y [N, Cout, OutH, OutW] = conv2d(x, w [Cout, Cin/groups, kh, kw]) (+ bias [Cout]); all dense from offset 0, one floating dtype.</summary>
    void Conv2d(in TensorView input, in TensorView weight, TensorView? bias, in WindowGeometry g, int groups, in TensorView output);

    /// <summary>
    /// The convolution's first-order gradients from <paramref name="grad"/> [N, Cout, OutH, OutW]: into the
    /// <paramref name="inputGrad"/>, <paramref name="weightGrad"/> and <paramref name="biasGrad"/> outputs, each only when
    /// given and each overwritten (their contents on entry do not matter).
    /// </summary>
    void Conv2dBackward(in TensorView grad, in TensorView input, in TensorView weight, in WindowGeometry g, int groups,
        TensorView? inputGrad, TensorView? weightGrad, TensorView? biasGrad);

    /// <summary>
    /// Max over each window of the dense [N, C, H, W] input (PyTorch's rule: the first maximum wins, NaN always wins):
    /// values, and the flat index (h·W + w) of each window's maximum unless <paramref name="indices"/> is null (then the
    /// backward is <see cref="MaxPool2dRecomputedBackward"/>; ops pass null only for <see cref="WindowGeometry.Tiles2x2"/>).
    /// <paramref name="relu"/> (only with null indices) writes ReLU(max) instead: the values of pooling a ReLU's output.
    /// </summary>
    void MaxPool2d(in TensorView input, in WindowGeometry g, in TensorView values, TensorView? indices, bool relu = false);

    /// <summary>Adds each gradient of [N, C, OutH, OutW] at its window's maximum (<paramref name="indices"/>) into the zero-filled <paramref name="inputGrad"/>.</summary>
    void MaxPool2dBackward(in TensorView grad, in TensorView indices, in WindowGeometry g, in TensorView inputGrad);

    /// <summary>
    /// The same gradient without indices: each window's winner is found again from the saved <paramref name="input"/> and
    /// <paramref name="output"/>; <paramref name="inputGrad"/> is overwritten entirely (its contents on entry do not matter).
    /// With <paramref name="relu"/> the output is <see cref="MaxPool2d"/>'s ReLU'd maxima, and windows whose output is not
    /// positive pass no gradient.
    /// </summary>
    void MaxPool2dRecomputedBackward(in TensorView grad, in TensorView input, in TensorView output, in WindowGeometry g, in TensorView inputGrad, bool relu = false);

    /// <summary>
    /// <see cref="Conv2d"/> into <paramref name="convOutput"/>, then <see cref="MaxPool2d"/> with <c>relu</c> over the 2×2
    /// window <paramref name="pool"/> into <paramref name="pooled"/> (a backend may pool each image while it is in cache).
    /// </summary>
    void Conv2dReluMaxPool(in TensorView input, in TensorView weight, TensorView? bias, in WindowGeometry g, int groups, in TensorView convOutput,
        in WindowGeometry pool, in TensorView pooled);

    /// <summary>
    /// The gradients of y = conv2d(input, weight) (+ bias) followed by pooled = ReLU(max-pool(y)) over the 2×2 window
    /// <paramref name="pool"/> (<see cref="MaxPool2d"/> with <c>relu</c>), from the pooled output's gradient: the same as
    /// <see cref="MaxPool2dRecomputedBackward"/> (with <c>relu</c>) into y's gradient followed by <see cref="Conv2dBackward"/>,
    /// which is what a backend without a fused pass does (the CPU's makes y's gradient image by image, in cache).
    /// </summary>
    void Conv2dReluMaxPoolBackward(in TensorView gradPooled, in TensorView convOutput, in TensorView pooled, in WindowGeometry pool,
        in TensorView input, in TensorView weight, in WindowGeometry g, int groups, TensorView? inputGrad, TensorView? weightGrad, TensorView? biasGrad);

    /// <summary>Inclusive running sum along the middle of the contiguous [outer, size, inner] <paramref name="input"/>.</summary>
    void CumSum(in TensorView input, int outer, int size, int inner, in TensorView output);

    /// <summary>Product along the middle of the contiguous [outer, size, inner] <paramref name="input"/> into [outer, inner].</summary>
    void Prod(in TensorView input, int outer, int size, int inner, in TensorView output);

    /// <summary>Stable sort along the middle of [outer, size, inner]: sorted values and the Int64 source positions.</summary>
    void Sort(in TensorView input, int outer, int size, int inner, in TensorView values, in TensorView indices, bool descending);

    /// <summary>
    /// The pointwise half of one LSTM step over a batch: the contiguous pre-activation <paramref name="gates"/> [B, 4H]
    /// (order i, f, g, o) become their activations in place, and c = f·cPrev + i·g, tanhC = tanh(c), h = o·tanh(c)
    /// are written ([B, H] each, contiguous, one floating dtype).
    /// </summary>
    void LstmCellForward(in TensorView gates, in TensorView cPrev, in TensorView h, in TensorView c, in TensorView tanhC);

    /// <summary>
    /// Backward of <see cref="LstmCellForward"/> from the saved activated gates, tanh(c) and cPrev, given the total
    /// gradients <paramref name="dh"/> and <paramref name="dc"/> of the step's h and c: writes the pre-activation gate
    /// gradients into <paramref name="dGates"/> [B, 4H] and adds the gradient of cPrev into <paramref name="dcPrev"/>.
    /// </summary>
    void LstmCellBackward(in TensorView gates, in TensorView tanhC, in TensorView cPrev, in TensorView dh, in TensorView dc,
        in TensorView dcPrev, in TensorView dGates);

    /// <summary>
    /// The pointwise part of one GRU step (gates r, z, n): from the input projection <paramref name="x"/> and the hidden
    /// projection <paramref name="hp"/> ([B, 3H], biases included) writes the activated gates [B, 3H] and h [B, H].
    /// </summary>
    void GruCellForward(in TensorView x, in TensorView hp, in TensorView hPrev, in TensorView h, in TensorView gates);

    /// <summary>
    /// Backward of <see cref="GruCellForward"/> given the total gradient <paramref name="dh"/> of the step's h: writes the
    /// gradients of the input projection (<paramref name="dX"/>) and of the hidden projection (<paramref name="dHp"/>) and
    /// adds the direct part dh·z of hPrev's gradient into <paramref name="dhPrev"/>.
    /// </summary>
    void GruCellBackward(in TensorView gates, in TensorView hp, in TensorView hPrev, in TensorView dh, in TensorView dhPrev,
        in TensorView dX, in TensorView dHp);

    /// <summary>
    /// Fused scaled dot-product attention: query [batch…, L, E], key [batch…, S, E], value [batch…, S, Ev] of one floating
    /// dtype, B slices in all, give output [batch…, L, Ev] = softmax(q·kᵀ·scale + mask)·v and the rows' contiguous
    /// log-sum-exp [B, L] (what backward needs). Operands and output may be any strided views whose rows are contiguous
    /// (last stride 1), e.g. heads read from a packed [N, T, 3E] projection and written into [N, T, E]; all without
    /// storing the [L, S] weights; <c>dims.Causal</c> restricts query i to keys 0..i without a mask; <c>dims.DropoutP</c> drops
    /// weights by a counter-based hash of <c>dims.Seed</c> and their index, which backward redraws.
    /// </summary>
    void AttentionForward(in TensorView query, in TensorView key, in TensorView value, in AttentionMaskView mask, in AttentionDims dims,
        in TensorView output, in TensorView logSumExp);

    /// <summary>
    /// The gradients of <see cref="AttentionForward"/>'s query, key and value (caller-allocated views with contiguous rows,
    /// every element written) from the output's gradient (contiguous rows), recomputing the weights from the saved output
    /// and log-sum-exp.
    /// </summary>
    void AttentionBackward(in TensorView query, in TensorView key, in TensorView value, in AttentionMaskView mask, in AttentionDims dims,
        in TensorView output, in TensorView logSumExp, in TensorView gradOutput, in TensorView gradQuery, in TensorView gradKey, in TensorView gradValue);
}

/// <summary>
/// The sizes of one fused attention: B slices of L queries and S keys, E features (Ev for values), scale, causal; and the
/// dropout probability on the weights with the seed its keep/drop decisions are derived from.
/// </summary>
internal readonly record struct AttentionDims(int B, int L, int S, int E, int Ev, double Scale, bool Causal, double DropoutP = 0, ulong Seed = 0);

/// <summary>
/// An additive attention mask in the query's dtype, read through strides: element (b, i, j) at
/// <c>BatchOffsets[b] + i·RowStride + j·ColStride</c> of <c>Storage</c> (broadcasting is a 0 stride or a repeated offset).
/// <c>Storage</c> null means no mask.
/// </summary>
internal readonly record struct AttentionMaskView(Storage? Storage, int[]? BatchOffsets, int RowStride, int ColStride);

/// <summary>A strided matrix operand of <see cref="IBackend.Gemm"/>: element (i, j) is at <c>Offset + i·RowStride + j·ColStride</c>.</summary>
internal readonly record struct Strided2D(Storage Storage, int Offset, int RowStride, int ColStride);

/// <summary>The activations with a fused first-order backward.</summary>
internal enum ActivationKind { Relu, Sigmoid, Tanh }

/// <summary>Adam's per-step scalars: stepSize = lr / (1 − β₁ᵗ), bc2Sqrt = √(1 − β₂ᵗ).</summary>
internal readonly record struct AdamHyper(double Beta1, double Beta2, double StepSize, double BiasCorrection2Sqrt, double Eps, bool Amsgrad);

/// <summary>SGD's scalars; <c>FirstStep</c> initialises the momentum buffer with the gradient.</summary>
internal readonly record struct SgdHyper(double Lr, double Momentum, double Dampening, double WeightDecay, bool Nesterov, bool FirstStep);
