namespace Backprop.NN;

/// <summary>How a loss combines per-element values (PyTorch's <c>reduction=</c> argument).</summary>
public enum Reduction
{
    /// <summary>Average (weighted average for losses with class weights): <c>'mean'</c>.</summary>
    Mean,
    /// <summary>Sum: <c>'sum'</c>.</summary>
    Sum,
    /// <summary>No reduction, one value per element or sample: <c>'none'</c>.</summary>
    None,
}
