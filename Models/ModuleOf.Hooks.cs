// Forward hooks, as PyTorch's register_forward_pre_hook and register_forward_hook: functions that see (and may replace) a
// module's input before its forward and its output after it, on every Call, to capture activations or patch a model.
namespace DotGrad.Models;

public abstract partial class Module<TIn, TOut>
{
    /// <summary>The hooks in the order they run; replaced whole on every change, so a call reads a consistent snapshot.</summary>
    private HookSet _hooks = HookSet.Empty;
    private readonly Lock _hooksLock = new();

    private sealed record HookSet(
        (object Key, Func<Module<TIn, TOut>, TIn, TIn?> Hook)[] Pre,
        (object Key, Func<Module<TIn, TOut>, TIn, TOut, TOut?> Hook)[] Post)
    {
        public static readonly HookSet Empty = new([], []);
    }

    /// <summary>
    /// Registers <paramref name="hook"/>(module, input) to run before every <see cref="Call"/>'s <see cref="Forward"/>
    /// (PyTorch's <c>register_forward_pre_hook</c>): a non-null (non-default) result replaces the input, for the later
    /// hooks and the forward; null keeps it. Hooks run in registration order, or first with <paramref name="prepend"/>.
    /// The handle's <see cref="HookHandle.Remove"/> (or Dispose) unregisters it. An exception from a hook propagates out
    /// of that call and leaves the module as it was: the next call runs normally.
    /// </summary>
    public HookHandle RegisterForwardPreHook(Func<Module<TIn, TOut>, TIn, TIn?> hook, bool prepend = false)
    {
        ArgumentNullException.ThrowIfNull(hook);
        var key = new object();
        Update(h => h with { Pre = Insert(h.Pre, (key, hook), prepend) });
        return new HookHandle(() => Update(h => h with { Pre = h.Pre.Where(e => e.Key != key).ToArray() }));
    }

    /// <summary>A pre-hook that only looks: <paramref name="hook"/>(module, input) runs before the forward and changes nothing.</summary>
    public HookHandle RegisterForwardPreHook(Action<Module<TIn, TOut>, TIn> hook, bool prepend = false)
    {
        ArgumentNullException.ThrowIfNull(hook);
        return RegisterForwardPreHook((m, x) => { hook(m, x); return default; }, prepend);
    }

    /// <summary>
    /// Registers <paramref name="hook"/>(module, input, output) to run after every <see cref="Call"/>'s
    /// <see cref="Forward"/> (PyTorch's <c>register_forward_hook</c>): <c>input</c> is what the forward received (after
    /// the pre-hooks); a non-null (non-default) result replaces the output, for the later hooks and the caller; null
    /// keeps it. Order, removal and exceptions as for <see cref="RegisterForwardPreHook(Func{Module{TIn, TOut}, TIn, TIn}, bool)"/>.
    /// </summary>
    public HookHandle RegisterForwardHook(Func<Module<TIn, TOut>, TIn, TOut, TOut?> hook, bool prepend = false)
    {
        ArgumentNullException.ThrowIfNull(hook);
        var key = new object();
        Update(h => h with { Post = Insert(h.Post, (key, hook), prepend) });
        return new HookHandle(() => Update(h => h with { Post = h.Post.Where(e => e.Key != key).ToArray() }));
    }

    /// <summary>A forward hook that only looks (to capture an activation): <paramref name="hook"/>(module, input, output) changes nothing.</summary>
    public HookHandle RegisterForwardHook(Action<Module<TIn, TOut>, TIn, TOut> hook, bool prepend = false)
    {
        ArgumentNullException.ThrowIfNull(hook);
        return RegisterForwardHook((m, x, y) => { hook(m, x, y); return default; }, prepend);
    }

    private void Update(Func<HookSet, HookSet> change)
    {
        lock (_hooksLock) _hooks = change(_hooks);
    }

    private static T[] Insert<T>(T[] entries, T entry, bool prepend) => prepend ? [entry, .. entries] : [.. entries, entry];

    private TIn RunPreHooks((object Key, Func<Module<TIn, TOut>, TIn, TIn?> Hook)[] hooks, TIn input)
    {
        foreach (var (_, hook) in hooks)
            if (hook(this, input) is { } replaced && !EqualityComparer<TIn>.Default.Equals(replaced, default)) input = replaced;
        return input;
    }

    private TOut RunHooks((object Key, Func<Module<TIn, TOut>, TIn, TOut, TOut?> Hook)[] hooks, TIn input, TOut output)
    {
        foreach (var (_, hook) in hooks)
            if (hook(this, input, output) is { } replaced && !EqualityComparer<TOut>.Default.Equals(replaced, default)) output = replaced;
        return output;
    }
}

/// <summary>
/// What <c>RegisterForwardHook</c> and <c>RegisterForwardPreHook</c> return (PyTorch's <c>RemovableHandle</c>):
/// <see cref="Remove"/> or <see cref="Dispose"/> unregisters the hook; doing it twice is harmless.
/// <c>using var handle = block.RegisterForwardHook(...)</c> keeps a hook for one scope.
/// </summary>
public sealed class HookHandle : IDisposable
{
    private Action? _remove;

    internal HookHandle(Action remove) => _remove = remove;

    public void Remove() => Interlocked.Exchange(ref _remove, null)?.Invoke();

    public void Dispose() => Remove();
}
