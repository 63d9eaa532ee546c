// Deterministic release of tensor memory: every tensor created while a scope is active dies with the scope.
using DotGrad.Backends;

namespace DotGrad;

/// <summary>
/// Tracks every <see cref="Tensor"/> constructed on this thread while the scope is the innermost active one (op
/// results, views, casts and the library's own temporaries alike) and disposes those still tracked when the scope is
/// disposed. Device memory, and pooled host memory, is not managed by the garbage collector, so a training step that
/// leaves its intermediates to the GC holds buffers for as long as the GC waits; one scope per step releases them at
/// the end of the step instead (TorchSharp's <c>DisposeScope</c>):
/// <code>
/// for (int step = 0; step &lt; steps; step++)
/// {
///     using var scope = Tensor.NewDisposeScope();
///     var loss = Functional.CrossEntropy(model(x), y);   // every intermediate is tracked
///     loss.Backward();                                     // .Grad tensors are taken out of the scope
///     ...                                                  // the update, under Autograd.NoGrad()
/// }                                                        // intermediates released here
/// </code>
/// Keep a tensor beyond the scope with <see cref="Tensor.MoveToOuterDisposeScope"/> (it then dies with the enclosing
/// scope, or is left to you when there is none) or <see cref="Tensor.DetachFromDisposeScope"/>. Scopes nest and must
/// be disposed innermost first, on the thread that created them (<c>using</c> does both). Tensors created before the
/// scope (parameters, data) are not tracked by it. Tensors created on other threads are not tracked either: the active
/// scope is per thread.
/// </summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] private static DisposeScope? _innermost;

    // Reference equality: a tensor is tracked as an object, whatever its contents. Locked because a tensor may be
    // disposed on another thread than the scope's, and it then removes itself from here.
    private readonly HashSet<Tensor> _tracked = new(ReferenceEqualityComparer.Instance);
    private readonly int _threadId = Environment.CurrentManagedThreadId;
    private bool _disposed;

    internal DisposeScope()
    {
        Outer = _innermost;
        _innermost = this;
    }

    /// <summary>The innermost active scope on this thread, which tracks new tensors; null when none is active.</summary>
    internal static DisposeScope? Current => _innermost;

    /// <summary>The scope that was innermost when this one was created: where <see cref="MoveToOuter"/> sends tensors.</summary>
    public DisposeScope? Outer { get; }

    /// <summary>How many tensors this scope tracks now (disposed or moved ones no longer count).</summary>
    public int Count
    {
        get
        {
            lock (_tracked) return _tracked.Count;
        }
    }

    public bool IsDisposed => _disposed;

    /// <summary>Called by the tensor constructor; the tensor is new, so no other scope holds it.</summary>
    internal void Track(Tensor t)
    {
        lock (_tracked) _tracked.Add(t);
        t.OwningDisposeScope = this;
    }

    /// <summary>Called by <see cref="Tensor.Dispose"/>: a disposed tensor needs no tracking, so a scope's set stays small.</summary>
    internal void Forget(Tensor t)
    {
        lock (_tracked) _tracked.Remove(t);
    }

    /// <summary>
    /// Moves the tensors to <see cref="Outer"/>, so that they outlive this scope and die with the enclosing one; with no
    /// enclosing scope they are left untracked (yours to dispose, or the GC's). A tensor this scope does not track, for
    /// example one created before it, is left as it is.
    /// </summary>
    public void MoveToOuter(params Tensor[] tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        foreach (var t in tensors) Transfer(t, Outer is { IsDisposed: false } outer ? outer : null, "MoveToOuter");
    }

    /// <summary>Stops tracking the tensors: no scope disposes them any more, so dispose them yourself (or leave them to the GC).</summary>
    public void Detach(params Tensor[] tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        foreach (var t in tensors) Transfer(t, null, "Detach");
    }

    /// <summary>
    /// Disposes every tracked tensor except <paramref name="keep"/>, which stay tracked: the middle of a long computation
    /// can drop what it no longer needs without opening a nested scope.
    /// </summary>
    public void DisposeEverythingBut(params Tensor[] keep)
    {
        ArgumentNullException.ThrowIfNull(keep);
        ThrowIfDisposed("DisposeEverythingBut");
        var spare = new HashSet<Tensor>(keep, ReferenceEqualityComparer.Instance);
        Tensor[] doomed;
        lock (_tracked)
        {
            doomed = _tracked.Where(t => !spare.Contains(t)).ToArray();
            _tracked.RemoveWhere(t => !spare.Contains(t));
        }
        DisposeAll(doomed);
    }

    /// <summary>
    /// Disposes every tensor still tracked and makes <see cref="Outer"/> the innermost scope again. Disposing twice is
    /// harmless; disposing a scope while a scope nested in it is active, or on another thread, throws
    /// <see cref="InvalidOperationException"/> and changes nothing.
    /// </summary>
    public void Dispose()
    {
        if (_disposed) return;
        if (Environment.CurrentManagedThreadId != _threadId)
            throw new InvalidOperationException($"DisposeScope.Dispose: the scope was created on thread {_threadId} and must be disposed there " +
                                                $"(this is thread {Environment.CurrentManagedThreadId}); the active scope is per thread");
        if (!ReferenceEquals(_innermost, this))
            throw new InvalidOperationException("DisposeScope.Dispose: a scope nested in this one is still active; dispose scopes innermost first " +
                                                "(as nested using blocks do), so that no scope outlives the scope it moves tensors to");
        _disposed = true;
        _innermost = Outer;
        Tensor[] doomed;
        lock (_tracked)
        {
            doomed = [.. _tracked];
            _tracked.Clear();
        }
        DisposeAll(doomed);
    }

    private static void DisposeAll(Tensor[] doomed)
    {
        // Every tensor is released even if one release throws (a device error), so one failure leaks nothing else.
        List<Exception>? errors = null;
        foreach (var t in doomed)
        {
            try
            {
                t.OwningDisposeScope = null;
                t.DisposeFromScope();
            }
            catch (Exception e)
            {
                (errors ??= []).Add(e);
            }
        }
        if (errors is not null) throw new AggregateException("DisposeScope: releasing tracked tensors failed", errors);
    }

    private void Transfer(Tensor t, DisposeScope? to, string op)
    {
        ArgumentNullException.ThrowIfNull(t);
        ThrowIfDisposed(op);
        if (t.IsDisposed)
            throw new ObjectDisposedException(nameof(Tensor), $"DisposeScope.{op}: the tensor (shape {ShapeMath.Format(t.ShapeRef)}) was already disposed, so it cannot be kept");
        var owner = t.OwningDisposeScope;
        if (owner is null) return; // untracked: nothing will dispose it anyway
        if (!ReferenceEquals(owner, this))
            throw new ArgumentException($"DisposeScope.{op}: the tensor (shape {ShapeMath.Format(t.ShapeRef)}) is tracked by another dispose scope, not this one; " +
                                        "call it on that scope, or use tensor.MoveToOuterDisposeScope() / DetachFromDisposeScope()");
        lock (_tracked) _tracked.Remove(t);
        t.OwningDisposeScope = null;
        to?.Track(t);
    }

    private void ThrowIfDisposed(string op)
    {
        if (_disposed)
            throw new ObjectDisposedException(nameof(DisposeScope), $"DisposeScope.{op}: the scope was already disposed (and with it every tensor it tracked)");
    }
}
