namespace Backprop.Data;

/// <summary>
/// The order in which a <see cref="DataLoader"/> visits a dataset's indices (<c>torch.utils.data.Sampler</c>): each
/// enumeration is one epoch, and <see cref="Count"/> is its length (<c>len(sampler)</c>). Indices may repeat or skip
/// samples, e.g. a distributed sampler's shard of the data set.
/// </summary>
public interface ISampler : IEnumerable<int>
{
    /// <summary>Indices one epoch yields.</summary>
    int Count { get; }
}
