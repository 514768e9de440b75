package kubelet

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	listersv1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// workers is how many pods are looked at at once; a pod is never looked at by two at once.
const workers = 4

// watchPods keeps every pod's process in line with the pod until ctx ends: pending pods are bound to
// the Node, bound pods run, deleted pods stop and their deletion is finished.
func (k *Kubelet) watchPods(ctx context.Context) error {
	factory := informers.NewSharedInformerFactory(k.opts.Client, 0)
	pods := factory.Core().V1().Pods()
	queue := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]())
	enqueue := func(obj any) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			queue.Add(key)
		}
	}
	if _, err := pods.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
		DeleteFunc: enqueue,
	}); err != nil {
		return fmt.Errorf("watch pods: %w", err)
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), pods.Informer().HasSynced) {
		return fmt.Errorf("sync the pod cache: %w", ctx.Err())
	}
	go func() {
		<-ctx.Done()
		queue.ShutDown()
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for k.processNext(ctx, queue, pods.Lister()) {
			}
		})
	}
	wg.Wait()
	return nil
}

func (k *Kubelet) processNext(ctx context.Context, queue workqueue.TypedRateLimitingInterface[string], lister listersv1.PodLister) bool {
	key, quit := queue.Get()
	if quit {
		return false
	}
	defer queue.Done(key)
	if err := k.syncPod(ctx, key, lister); err != nil && ctx.Err() == nil {
		k.opts.Log.Warn("sync pod", "pod", key, "err", err)
		queue.AddRateLimited(key)
		return true
	}
	queue.Forget(key)
	return true
}

// syncPod brings one pod's process in line with the pod.
func (k *Kubelet) syncPod(ctx context.Context, key string, lister listersv1.PodLister) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	pod, err := lister.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) {
		k.stopPod(key, "")
		return nil
	}
	if err != nil {
		return err
	}
	switch {
	case pod.Spec.NodeName == "":
		return k.bind(ctx, pod)
	case pod.Spec.NodeName != k.opts.NodeName:
		return nil
	case pod.DeletionTimestamp != nil:
		k.stopPod(key, "")
		return k.finishDeletion(ctx, pod)
	case pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed:
		return nil
	}
	// A pod deleted and made again under the same name is another pod.
	k.stopPod(key, pod.UID)
	k.startPod(ctx, key, pod)
	return nil
}

// bind plays the scheduler: every pod goes to the one Node.
func (k *Kubelet) bind(ctx context.Context, pod *corev1.Pod) error {
	err := k.opts.Client.CoreV1().Pods(pod.Namespace).Bind(ctx, &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID},
		Target:     corev1.ObjectReference{Kind: "Node", Name: k.opts.NodeName},
	}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
		return fmt.Errorf("bind pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	return nil
}

// finishDeletion deletes a pod whose process has stopped, as a kubelet does once its containers are
// gone: with no grace period left, and only the same pod.
func (k *Kubelet) finishDeletion(ctx context.Context, pod *corev1.Pod) error {
	zero := int64(0)
	err := k.opts.Client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{
		GracePeriodSeconds: &zero,
		Preconditions:      &metav1.Preconditions{UID: &pod.UID},
	})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("finish deleting pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	return nil
}

// startPod starts running pod unless it runs already.
func (k *Kubelet) startPod(ctx context.Context, key string, pod *corev1.Pod) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.pods[key]; ok {
		return
	}
	runCtx, cancel := context.WithCancel(ctx)
	run := &podRun{uid: pod.UID, log: &containerLog{}, cancel: cancel, done: make(chan struct{})}
	if len(pod.Spec.Containers) > 0 {
		run.container = pod.Spec.Containers[0].Name
	}
	k.pods[key] = run
	go func() {
		defer close(run.done)
		k.runPod(runCtx, pod.DeepCopy(), run)
	}()
}

// stopPod stops the run of key and waits for it, unless it is the run of the pod keep.
func (k *Kubelet) stopPod(key string, keep types.UID) {
	k.mu.Lock()
	run := k.pods[key]
	if run == nil || (keep != "" && keep == run.uid) {
		k.mu.Unlock()
		return
	}
	delete(k.pods, key)
	k.mu.Unlock()
	run.cancel()
	select {
	case <-run.done:
	case <-time.After(10 * time.Second):
		k.opts.Log.Warn("pod did not stop in time", "pod", key)
	}
}

// stopAll stops every pod's process, for the end of Run.
func (k *Kubelet) stopAll() {
	k.mu.Lock()
	keys := make([]string, 0, len(k.pods))
	for key := range k.pods {
		keys = append(keys, key)
	}
	k.mu.Unlock()
	for _, key := range keys {
		k.stopPod(key, "")
	}
}
